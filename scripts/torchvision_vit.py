"""torchvision's VisionTransformer seen with timm's tensor names, shared by the fixture script,
the reference script's torchvision stand-in and bench/compare.

torchvision's model is an independent implementation of timm's ViT math (pre-norm blocks, fused
qkv projection, exact GELU, LayerNorm eps 1e-6, class-token pooling), so one table of names maps a
timm checkpoint onto it and back.
"""

from __future__ import annotations

from typing import List, Tuple

# timm module -> torchvision module inside each block
_BLOCK_MODULES = [("norm1", "ln_1"), ("attn.proj", "self_attention.out_proj"),
                  ("norm2", "ln_2"), ("mlp.fc1", "mlp.0"), ("mlp.fc2", "mlp.3")]


def timm_torchvision_names(depth: int, qkv_bias: bool = True) -> List[Tuple[str, str]]:
    """(timm name, torchvision name) for every tensor; the qkv bias only when qkv_bias."""
    pairs = [("cls_token", "class_token"), ("pos_embed", "encoder.pos_embedding"),
             ("patch_embed.proj.weight", "conv_proj.weight"),
             ("patch_embed.proj.bias", "conv_proj.bias")]
    for i in range(depth):
        tm, tv = f"blocks.{i}.", f"encoder.layers.encoder_layer_{i}."
        for a, b in _BLOCK_MODULES:
            pairs += [(f"{tm}{a}.weight", f"{tv}{b}.weight"), (f"{tm}{a}.bias", f"{tv}{b}.bias")]
        pairs.append((f"{tm}attn.qkv.weight", f"{tv}self_attention.in_proj_weight"))
        if qkv_bias:
            pairs.append((f"{tm}attn.qkv.bias", f"{tv}self_attention.in_proj_bias"))
    pairs += [("norm.weight", "encoder.ln.weight"), ("norm.bias", "encoder.ln.bias"),
              ("head.weight", "heads.head.weight"), ("head.bias", "heads.head.bias")]
    return pairs


def forward_with_features(model, x):
    """(features, logits): features = the class token after encoder.ln, timm's pre-logits."""
    captured = {}
    hook = model.encoder.ln.register_forward_hook(lambda m, i, o: captured.update(out=o))
    try:
        logits = model(x)
    finally:
        hook.remove()
    return captured["out"][:, 0], logits
