"""Tests for scripts/reference_logits.py (not part of CI: CI has no Python).

  /usr/bin/python3 -m unittest scripts/test_reference_logits.py      (from the repository root)

Needs numpy, Pillow, torch and torchvision (Debian: python3-torch, python3-torchvision,
python3-pil); timm is not needed: the timm backend's glue runs against a small fake `timm` module
that wraps torchvision's VisionTransformer behind timm's API.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import struct
import sys
import tempfile
import types
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_logits as rl  # noqa: E402  pylint: disable=wrong-import-position

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "test" / "fixtures" / "models" / "tiny"
IMAGES = REPO / "test" / "fixtures" / "images"
PREPROCESS = REPO / "test" / "fixtures" / "preprocess"


def run_main(argv):
    """(exit code, stdout, stderr) of rl.main(argv); argparse errors give their SystemExit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = rl.main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


class SafetensorsWriterTest(unittest.TestCase):
    def test_round_trip(self):
        rng = np.random.default_rng(0)
        tensors = {
            "logits": rng.standard_normal((2, 10)).astype(np.float32),
            "input": rng.standard_normal((2, 3, 4, 5)).astype(np.float32),
            "features": np.array([[0.0, -0.0, 1e-38, -3.4e38, 1.5]], dtype=np.float32),
            "scalar_like": np.zeros((1,), dtype=np.float64),  # stored as F32
        }
        meta = {"model": "vit_x", "atol": "0.001", "images": json.dumps(["a b.jpg", "é.png"])}
        raw = rl.encode_safetensors(tensors, meta)

        (n,) = struct.unpack("<Q", raw[:8])
        self.assertEqual(n % 8, 0, "header padded to a multiple of 8")
        head_text = raw[8:8 + n].decode("utf-8")
        self.assertTrue(head_text.startswith("{"))
        self.assertLess(len(head_text) - len(head_text.rstrip(" ")), 8, "padded with spaces only")
        header = json.loads(head_text)
        names = [k for k in header if k != "__metadata__"]
        self.assertEqual(names, sorted(tensors), "tensor entries sorted by name")
        offset = 0
        for name in names:  # contiguous, in header order, exactly filling the file
            info = header[name]
            self.assertEqual(info["dtype"], "F32")
            self.assertEqual(info["data_offsets"][0], offset)
            offset = info["data_offsets"][1]
            self.assertEqual(offset - info["data_offsets"][0], 4 * int(np.prod(info["shape"])))
        self.assertEqual(8 + n + offset, len(raw))

        back, back_meta = rl.decode_safetensors(raw)
        self.assertEqual(back_meta, meta)
        self.assertEqual(set(back), set(tensors))
        for name, arr in tensors.items():
            self.assertEqual(back[name].dtype, np.float32)
            self.assertEqual(back[name].shape, arr.shape)
            np.testing.assert_array_equal(back[name], arr.astype(np.float32))
        self.assertTrue(np.signbit(back["features"][0, 1]), "-0.0 kept")

    def test_torch_tensors_and_file(self):
        import torch
        t = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sub" / "x.safetensors"
            rl.write_safetensors(path, {"input": t})
            back, meta = rl.read_safetensors(path)
            self.assertEqual(meta, {})
            np.testing.assert_array_equal(back["input"], t.numpy())
            self.assertEqual([p.name for p in path.parent.iterdir()], ["x.safetensors"])

    def test_reads_the_committed_fixture(self):
        tensors, meta = rl.read_safetensors(TINY / "reference.safetensors")
        self.assertEqual(tensors["input"].shape, (2, 3, 32, 32))
        self.assertEqual(tensors["logits"].shape, (2, 10))
        self.assertEqual(meta["model"], "tiny")

    def test_rejects_bad_metadata_and_files(self):
        with self.assertRaises(TypeError):
            rl.encode_safetensors({"a": np.zeros(1)}, {"atol": 1e-3})
        raw = rl.encode_safetensors({"a": np.ones((2, 2))})
        for broken in (raw[:5], raw[:-4], struct.pack("<Q", 10**9) + raw[8:],
                       struct.pack("<Q", 4) + b"nope" + raw[12:]):
            with self.assertRaises(rl.SafetensorsFormatError):
                rl.decode_safetensors(broken, "broken")


class ArgumentTest(unittest.TestCase):
    def assert_usage_error(self, argv, fragment):
        code, _, err = run_main(argv)
        self.assertEqual(code, 2, err)
        self.assertIn(fragment, err)
        self.assertNotIn("Traceback", err)

    def test_usage_errors(self):
        ckpt = ["--checkpoint", TINY / "model.safetensors"]
        self.assert_usage_error(["a.jpg"], "--out")
        self.assert_usage_error(["--out", "o.st", *ckpt], "give images, or --input")
        self.assert_usage_error(["--out", "o.st", *ckpt, "a.jpg", "--input", "t.st"],
                                "either images or --input")
        self.assert_usage_error(["--out", "o.st", "a.jpg"], "give --checkpoint")
        self.assert_usage_error(["--out", "o.st", "--model", "m", "a.jpg"], "give --checkpoint")
        self.assert_usage_error(["--out", "o.st", "--pretrained", "a.jpg"],
                                "--pretrained needs --model")
        self.assert_usage_error(["--out", "o.st", "--model", "m", "--pretrained", *ckpt, "a.jpg"],
                                "not allowed with")
        self.assert_usage_error(["--out", "o.st", "--model", "m", "--pretrained", "--backend",
                                 "torchvision", "a.jpg"], "cannot download")
        self.assert_usage_error(["--out", "o.st", *ckpt, "--atol", "-1", "a.jpg"], "--atol")
        self.assert_usage_error(["--out", "o.st", *ckpt, "--rtol", "nan", "a.jpg"], "--rtol")
        self.assert_usage_error(["--out", "o.st", *ckpt, "--backend", "onnx", "a.jpg"], "--backend")
        self.assert_usage_error(["--out", "o.st", *ckpt, "--batch-size", "0", "a.jpg"],
                                "--batch-size")

    def test_parsed(self):
        args = rl.parse_args(["--out", "o.st", "--checkpoint", "m.safetensors", "--atol", "1e-3",
                              "-i", "a.st", "-i", "b.st"])
        self.assertEqual(args.inputs, [Path("a.st"), Path("b.st")])
        self.assertEqual(args.atol, 1e-3)
        self.assertIsNone(args.rtol)
        self.assertEqual(args.backend, "timm")

    def test_runtime_errors_are_one_line(self):
        tv = ["--backend", "torchvision", "--checkpoint", TINY / "model.safetensors"]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ref.safetensors"
            cases = [
                ([*tv, "--out", out, IMAGES / "cat.jpg", Path(tmp) / "missing.jpg"],
                 "image not found"),
                ([*tv, "--out", out, IMAGES / "not_an_image.jpg"], "cannot read image"),
                ([*tv, "--out", out, IMAGES / "truncated.jpg"], "cannot read image"),
                (["--backend", "torchvision", "--checkpoint", Path(tmp) / "none.safetensors",
                  "--out", out, IMAGES / "cat.jpg"], "checkpoint not found"),
                ([*tv, "--out", out, "--input", Path(tmp) / "none.safetensors"],
                 "input file not found"),
                ([*tv, "--out", out, "--input", IMAGES / "cat.jpg"], "not a valid safetensors"),
                ([*tv, "--config", Path(tmp) / "none.json", "--out", out, IMAGES / "cat.jpg"],
                 "config file not found"),
                ([*tv, "--out", TINY / "model.safetensors", IMAGES / "cat.jpg"],
                 "would overwrite the checkpoint"),
                (["--backend", "torchvision", "--checkpoint",
                  REPO / "test" / "fixtures" / "layouts" / "tiny_torchvision" / "model.safetensors",
                  "--out", out, IMAGES / "cat.jpg"], "not a timm-layout ViT"),
            ]
            wrong_size = Path(tmp) / "wrong.safetensors"
            rl.write_safetensors(wrong_size, {"input": np.zeros((1, 3, 48, 48))})
            cases.append(([*tv, "--out", out, "--input", wrong_size], "expects [B, 3, 32, 32]"))
            for argv, fragment in cases:
                with self.subTest(fragment=fragment):
                    code, _, err = run_main(argv)
                    self.assertEqual(code, 1, err)
                    self.assertIn(fragment, err)
                    self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertFalse(out.exists(), "nothing written after an error")


class TorchvisionBackendTest(unittest.TestCase):
    def test_reference_input_reproduces_reference_logits(self):
        ref, _ = rl.read_safetensors(TINY / "reference.safetensors")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ref.safetensors"
            code, stdout, err = run_main(["--backend", "torchvision", "--checkpoint",
                                          TINY / "model.safetensors", "--input",
                                          TINY / "reference.safetensors", "--out", out,
                                          "--atol", "2e-4"])
            self.assertEqual(code, 0, err)
            self.assertIn(f"vit verify --weights {TINY / 'model.safetensors'} --reference {out}",
                          stdout)
            got, meta = rl.read_safetensors(out)
        self.assertEqual(sorted(got), ["features", "input", "logits"])
        np.testing.assert_array_equal(got["input"], ref["input"])
        np.testing.assert_allclose(got["logits"], ref["logits"], rtol=0, atol=1e-4)
        np.testing.assert_allclose(got["features"], ref["features"], rtol=0, atol=1e-4)
        self.assertEqual(meta["model"], "vit_tiny_fixture")
        self.assertEqual(meta["atol"], "0.0002")
        self.assertNotIn("rtol", meta)
        self.assertEqual(json.loads(meta["inputs"]), [str(TINY / "reference.safetensors")])
        for key in ("torch_version", "timm_version", "backend", "weights", "features"):
            self.assertIn(key, meta)

    def test_float64_and_batches(self):
        ref, _ = rl.read_safetensors(TINY / "reference.safetensors")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ref.safetensors"
            code, _, err = run_main(["--backend", "torchvision", "--checkpoint",
                                     TINY / "model.safetensors", "--input",
                                     TINY / "reference.safetensors", "--out", out, "-q",
                                     "--dtype", "float64", "--batch-size", "1"])
            self.assertEqual(code, 0, err)
            got, meta = rl.read_safetensors(out)
        # the fixture's logits were computed in float64 too: equal up to F32 rounding
        np.testing.assert_allclose(got["logits"], ref["logits"], rtol=1e-6, atol=1e-6)
        self.assertTrue(meta["compute_dtype"].startswith("float64"))

    def test_images(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ref.safetensors"
            images = [IMAGES / "cat.jpg", IMAGES / "coffee.png"]
            code, stdout, err = run_main(["--backend", "torchvision", "--checkpoint",
                                          TINY / "model.safetensors", "--out", out, *images])
            self.assertEqual(code, 0, err)
            got, meta = rl.read_safetensors(out)
            self.assertEqual(got["input"].shape, (2, 3, 32, 32))
            self.assertEqual(got["logits"].shape, (2, 10))
            self.assertEqual(got["features"].shape, (2, 48))
            self.assertEqual(json.loads(meta["images"]), [str(p) for p in images])
            cfg = json.loads(meta["data_config"])
            self.assertEqual(cfg, {"input_size": [3, 32, 32], "interpolation": "bicubic",
                                   "mean": [0.5] * 3, "std": [0.5] * 3, "crop_pct": 1.0,
                                   "crop_mode": "center"})
            self.assertIn("cat.jpg", stdout)

            # The same image given one at a time, or as a preprocessed tensor, gives the same rows.
            one = Path(tmp) / "one.safetensors"
            code, _, err = run_main(["--backend", "torchvision", "--checkpoint",
                                     TINY / "model.safetensors", "--out", one, "-q", images[1]])
            self.assertEqual(code, 0, err)
            single, _ = rl.read_safetensors(one)
            np.testing.assert_array_equal(single["input"][0], got["input"][1])
            np.testing.assert_allclose(single["logits"][0], got["logits"][1], atol=1e-5, rtol=0)

            pre = Path(tmp) / "pre.safetensors"
            rl.write_safetensors(pre, {"input": got["input"][1]})  # [3,H,W] is accepted too
            again = Path(tmp) / "again.safetensors"
            code, _, err = run_main(["--backend", "torchvision", "--checkpoint",
                                     TINY / "model.safetensors", "--out", again, "-q",
                                     "--input", pre])
            self.assertEqual(code, 0, err)
            from_input, _ = rl.read_safetensors(again)
            np.testing.assert_array_equal(from_input["input"][0], got["input"][1])

    def test_transform_matches_the_preprocessing_fixtures(self):
        """tv_transform equals timm's eval transform as test/fixtures/preprocess records it."""
        manifest = json.loads((PREPROCESS / "manifest.json").read_text())
        checked = 0
        for case in manifest["cases"]:
            c = manifest["configs"][case["config"]]
            square = c["inputSize"][1] == c["inputSize"][2]
            if not (c["cropMode"] == "squash" or (c["cropMode"] == "center" and square)):
                continue  # border / non-square center: not in the stand-in
            transform = rl.tv_transform(snake(c))
            img = rl.load_rgb(IMAGES / case["image"])
            crop = transform.transforms[1](transform.transforms[0](img))  # resize + crop (uint8)
            with self.subTest(image=case["image"], config=case["config"]):
                self.assertEqual(hashlib.sha256(crop.tobytes()).hexdigest(), case["rgbSha256"])
            checked += 1
        self.assertGreater(checked, 20)
        for entry in manifest["tensors"]:
            c = manifest["configs"][entry["config"]]
            t = rl.tv_transform(snake(c))(rl.load_rgb(IMAGES / entry["image"]))
            expected = np.fromfile(REPO / entry["path"], dtype="<f4").reshape(entry["shape"])
            np.testing.assert_array_equal(t.numpy(), expected)


def snake(c):
    return {"input_size": c["inputSize"], "interpolation": c["interpolation"], "mean": c["mean"],
            "std": c["std"], "crop_pct": c["cropPct"], "crop_mode": c["cropMode"]}


# --------------------------------------------------------------------------------------------
# A fake `timm`: just enough of its API (create_model, is_model, list_models, load_checkpoint,
# resolve_model_data_config, create_transform, VisionTransformer) to run the timm backend's glue.
# --------------------------------------------------------------------------------------------


def make_fake_timm():
    import torch
    from torch import nn
    from torchvision.models import VisionTransformer as TvViT

    class PatchEmbed(nn.Module):
        pass

    class VisionTransformer(nn.Module):
        def __init__(self, img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12,
                     mlp_ratio=4.0, qkv_bias=True, num_classes=1000, global_pool="token"):
            super().__init__()
            self.tv = TvViT(image_size=img_size, patch_size=patch_size, num_layers=depth,
                            num_heads=num_heads, hidden_dim=embed_dim,
                            mlp_dim=int(embed_dim * mlp_ratio), num_classes=num_classes)
            self.qkv_bias = qkv_bias
            self.global_pool = global_pool
            self.patch_embed = PatchEmbed()
            self.head = self.tv.heads.head
            self.blocks = self.tv.encoder.layers
            self.pretrained_cfg = {"input_size": (3, img_size, img_size),
                                   "interpolation": "bicubic",
                                   "mean": (0.5,) * 3, "std": (0.5,) * 3, "crop_pct": 0.9,
                                   "crop_mode": "center"}

        @property
        def cls_token(self):
            return self.tv.class_token

        def forward_features(self, x):
            x = self.tv._process_input(x)  # pylint: disable=protected-access
            x = torch.cat([self.tv.class_token.expand(x.shape[0], -1, -1), x], dim=1)
            return self.tv.encoder(x)

        def forward_head(self, x, pre_logits=False):
            x = x[:, 0]
            return x if pre_logits else self.head(x)

    class ResNet(nn.Module):
        pass

    registry = {"vit_base_patch16_384": lambda **kw: VisionTransformer(**{
        "img_size": 384, "patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12,
        **kw}), "resnet50": lambda **kw: ResNet()}
    created = []

    def create_model(name, pretrained=False, **kwargs):
        arch = name.split(".")[0]
        if arch not in registry:
            raise RuntimeError(f"Unknown model ({arch})")
        if pretrained:
            raise AssertionError("no downloads in tests")
        created.append((name, kwargs))
        return registry[arch](**kwargs)

    def load_checkpoint(model, path, strict=True):
        state, _ = rl.read_safetensors(Path(path))
        qkv_bias = any(k.endswith("attn.qkv.bias") for k in state)
        depth = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
        pairs = rl.timm_torchvision_names(depth, qkv_bias)
        tv_state = {tv: torch.from_numpy(np.array(state[tm])) for tm, tv in pairs if tm in state}
        model.tv.load_state_dict(tv_state, strict=strict)  # RuntimeError on a mismatch

    def resolve_model_data_config(model, pretrained_cfg=None):
        return dict(pretrained_cfg or model.pretrained_cfg)

    def create_transform(is_training=False, **cfg):
        assert not is_training
        return rl.tv_transform(cfg)

    timm = types.ModuleType("timm")
    data = types.ModuleType("timm.data")
    models = types.ModuleType("timm.models")
    vt_module = types.ModuleType("timm.models.vision_transformer")
    vt_module.VisionTransformer = VisionTransformer
    models.vision_transformer = vt_module
    models.load_checkpoint = load_checkpoint
    data.resolve_model_data_config = resolve_model_data_config
    data.create_transform = create_transform
    timm.__version__ = "0.0.fake"
    timm.data, timm.models = data, models
    timm.create_model = create_model
    timm.is_model = lambda name: name in registry
    timm.list_models = lambda: sorted(registry)
    timm.created = created
    return {"timm": timm, "timm.data": data, "timm.models": models,
            "timm.models.vision_transformer": vt_module}


class FakeTimmBackendTest(unittest.TestCase):
    def setUp(self):
        self.modules = make_fake_timm()
        patcher = mock.patch.dict(sys.modules, self.modules)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def run_ok(self, argv):
        code, stdout, err = run_main(argv)
        self.assertEqual(code, 0, err)
        return stdout, err

    def test_config_json_architecture_and_same_result_as_torchvision(self):
        images = [IMAGES / "cat.jpg", IMAGES / "coffee.png"]
        a, b = self.tmp / "timm.safetensors", self.tmp / "tv.safetensors"
        self.run_ok(["--checkpoint", TINY / "model.safetensors", "--out", a, *images])
        self.run_ok(["--backend", "torchvision", "--checkpoint", TINY / "model.safetensors",
                     "--out", b, *images])
        ta, ma = rl.read_safetensors(a)
        tb, _ = rl.read_safetensors(b)
        for name in ("input", "logits", "features"):
            np.testing.assert_array_equal(ta[name], tb[name])
        self.assertEqual(ma["timm_version"], "0.0.fake")
        self.assertEqual(ma["model"], "vit_tiny_fixture")
        self.assertEqual(json.loads(ma["data_config"])["crop_pct"], 1.0,
                         "config.json's pretrained_cfg")

    def test_named_model_gets_config_args(self):
        cfg = json.loads((TINY / "config.json").read_text())
        cfg["architecture"] = "vit_base_patch16_384.augreg_in21k_ft_in1k"
        (self.tmp / "config.json").write_text(json.dumps(cfg))
        out = self.tmp / "ref.safetensors"
        stdout, _ = self.run_ok(["--checkpoint", TINY / "model.safetensors", "--config",
                                 self.tmp / "config.json", "--out", out, "--input",
                                 TINY / "reference.safetensors"])
        name, kwargs = self.modules["timm"].created[-1]
        self.assertEqual(name, "vit_base_patch16_384.augreg_in21k_ft_in1k")
        self.assertEqual(kwargs["embed_dim"], 48)
        self.assertEqual(kwargs["num_classes"], 10)
        got, meta = rl.read_safetensors(out)
        ref, _ = rl.read_safetensors(TINY / "reference.safetensors")
        np.testing.assert_allclose(got["logits"], ref["logits"], rtol=0, atol=1e-4)
        self.assertEqual(meta["model"], "vit_base_patch16_384")
        self.assertEqual(meta["model_id"], "vit_base_patch16_384.augreg_in21k_ft_in1k")
        self.assertIn("--config", stdout)

    def test_unknown_model(self):
        code, _, err = run_main(["--model", "vit_base_patch16_38", "--checkpoint",
                                 TINY / "model.safetensors", "--out", self.tmp / "o.st",
                                 IMAGES / "cat.jpg"])
        self.assertEqual(code, 1)
        self.assertIn("unknown timm model 'vit_base_patch16_38'; "
                      "did you mean vit_base_patch16_384", err)

    def test_not_a_vit(self):
        code, _, err = run_main(["--model", "resnet50", "--checkpoint", TINY / "model.safetensors",
                                 "--config", self.write_config({}), "--out", self.tmp / "o.st",
                                 IMAGES / "cat.jpg"])
        self.assertEqual(code, 1)
        self.assertIn("resnet50 is a", err)
        self.assertIn("not a timm VisionTransformer", err)

    def test_checkpoint_does_not_fit(self):
        code, _, err = run_main(["--model", "vit_base_patch16_384", "--checkpoint",
                                 TINY / "model.safetensors", "--config", self.write_config({}),
                                 "--out", self.tmp / "o.st", IMAGES / "cat.jpg"])
        self.assertEqual(code, 1)
        self.assertIn("does not fit vit_base_patch16_384", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_no_model_name(self):
        code, _, err = run_main(["--checkpoint", TINY / "model.safetensors", "--config",
                                 self.write_config({}), "--out", self.tmp / "o.st",
                                 IMAGES / "cat.jpg"])
        self.assertEqual(code, 1)
        self.assertIn("give --model NAME", err)

    def test_timm_missing(self):
        with mock.patch.dict(sys.modules, {"timm": None}):
            code, _, err = run_main(["--checkpoint", TINY / "model.safetensors", "--out",
                                     self.tmp / "o.st", IMAGES / "cat.jpg"])
        self.assertEqual(code, 1)
        self.assertIn("timm is not installed", err)

    def write_config(self, cfg):
        path = self.tmp / "config.json"
        path.write_text(json.dumps(cfg))
        return path


if __name__ == "__main__":
    unittest.main()
