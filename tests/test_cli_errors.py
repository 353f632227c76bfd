"""Every user-facing failure of every command is one line: exit status 2 (a bad argument) or 1
(a failure while working), no traceback, and the message names the argument."""

from __future__ import annotations

import errno
import json

import pytest

from renderer.cli import build_parser, main


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """A small rendered batch, a plain file, and a path below that file (cannot be created)."""
    from renderer.batch import BatchConfig, run_batch  # pylint: disable=import-outside-toplevel

    root = tmp_path_factory.mktemp("cli")
    batch = root / "batch"
    run_batch(
        BatchConfig(
            recipe="clevr",
            out=batch,
            count=1,
            engine="raster",
            resolution=(32, 32),
            samples=1,
            workers=0,
        )
    )
    a_file = root / "a_file.txt"
    a_file.write_text("not a folder")
    return {
        "batch": str(batch),
        "file": str(a_file),
        "below_file": str(a_file / "sub"),
        "folder": str(root),
        "new": str(root / "new"),
        "missing": str(root / "missing"),
    }


# (arguments, the text the one-line message must contain). {batch}, {file}... are filled in.
BAD_ARGUMENTS = [
    ("render clevr --count 1 --out {new} --seed -1", "--seed -1"),
    ("render clevr --count -1 --out {new}", "--count -1"),
    ("render clevr --count 1 --out {new} --workers -2", "--workers -2"),
    ("render clevr --count 1 --out {new} --samples 0", "--samples 0"),
    ("render clevr --count 1 --out {new} --recycle-after 0", "--recycle-after 0"),
    ("render clevr --count 1 --out {new} --retries -1", "--retries -1"),
    ("render clevr --count 1 --out {new} --frame-timeout 0", "--frame-timeout"),
    ("render clevr --count 1 --out {new} --frames 5-2", "--frames"),
    ("render clevr --count 1 --out {new} --resolution 0x10", "--resolution"),
    ("render clevr --count 1 --out {new} --resolution 100000x100000", "resolution"),
    ("render clevr --count 1 --out {new} --set nope=1", "nope"),
    ("render clevr --count 1 --out {new} --log-json {folder}", "--log-json"),
    ("render clevr --count 1 --out {file}", "--out"),
    ("render clevr --count 1 --out {below_file}", "output folder"),
    ("render no_such_recipe --count 1 --out {new}", "no_such_recipe"),
    ("preview clevr --seed -1 --out {new}/p.png", "--seed -1"),
    ("preview clevr --out {folder}", "--out"),
    ("preview clevr --count 0 --out {new}/p.png", "--count 0"),
    ("bench --scenes 0", "--scenes 0"),
    ("bench --samples 0", "--samples 0"),
    ("bench --out {file}", "--out"),
    ("export {batch} --format coco --out {file}", "--out"),
    ("export {batch} --format yolo --out {below_file}", "--out"),
    ("export {missing} --format coco", "missing"),
    ("export {batch} --format yolo --val-fraction 2", "--val-fraction"),
    ("report {batch} --out {folder}", "--out"),
    ("report {batch} --out {below_file}/r.html", "--out"),
    ("report {missing}", "missing"),
    ("report {batch} --max-frames -1", "--max-frames"),
    ("validate {missing}", "missing"),
    ("inspect {batch} 99", "frame '99'"),
    ("inspect {missing} 0", "missing"),
    ("repair {missing}", "missing"),
    ("repair {folder}", "holds no batch"),
    ("spec clevr --seed -4", "--seed -4"),
    ("refine {batch} --model {file} --strength 0.3 --out {new}", "model file"),
    ("refine {batch} --model {file} --strength 0.3 --out {new} --device cuda", "--device cuda"),
    ("refine {batch} --model {file} --strength 7 --out {new}", "strength"),
    ("refiner info {file}", "model file"),
    ("recipes no_such_recipe", "no_such_recipe"),
    ("gap {missing} {batch}", "missing"),
    ("evaluate {missing} --real {folder} --classes a=b,c=d", "missing"),
    ("evaluate {batch} --real {missing} --classes a=b,c=d", "missing"),
    ("evaluate {batch} --real {folder} --classes a=b,c=d", "no labels"),
    ("evaluate {batch} --real {folder} --classes bottle", "--classes"),
    ("evaluate {batch} --real {folder} --classes a=b,c=d --seeds 0", "--seeds"),
    ("evaluate {batch} --real {folder} --classes a=b,c=d --lr-drop-after -1", "--lr-drop-after"),
    ("demo --samples 0 --out {new}", "--samples 0"),
    ("demo --count -1 --out {new}", "--count -1"),
    ("demo --out {file}", "--out"),
    ("render", "recipe"),  # argparse: a missing argument
    ("render clevr --count x --out {new}", "--count"),  # argparse: a bad value
]


def run_cli(command: str, places: dict, capsys) -> tuple[int, str, str]:
    argv = command.format(**places).split()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own usage errors
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command, named", BAD_ARGUMENTS, ids=[c for c, _ in BAD_ARGUMENTS])
def test_every_bad_argument_is_one_line_naming_it(command, named, places, capsys, tmp_path):
    if "cuda" in command:
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    code, out, err = run_cli(command, places, capsys)
    assert code in (1, 2), (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = [
        line
        for line in err.splitlines()
        if line.strip() and not line.startswith(("usage:", " ", "INFO ", "WARNING "))
    ]
    assert len(lines) == 1, err
    assert named in lines[0], lines[0]
    assert "weights_only=False" not in err


def test_every_command_is_covered_by_the_sweep():
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # pylint: disable=protected-access
    assert commands == {command.split()[0] for command, _ in BAD_ARGUMENTS}


def test_disk_full_at_the_coco_step_is_one_message_with_quiet(
    places, tmp_path, capsys, monkeypatch
):
    import labels.coco  # pylint: disable=import-outside-toplevel

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "b" / "coco.json"))

    monkeypatch.setattr(labels.coco, "write_coco", full)
    code, out, err = run_cli(
        f"render clevr --count 1 --out {tmp_path / 'b'} --workers 0 "
        "--engine raster --resolution 32x32 --samples 1 --quiet",
        places,
        capsys,
    )
    assert code == 1 and "Traceback" not in err
    assert "coco.json" in err and "No space left on device" in err
    assert "rerun" in err


class Foreign:  # a pickled object: torch's weights_only loader refuses it
    pass


def test_refiner_model_errors_never_suggest_unsafe_loading(places, tmp_path, capsys):
    pytest.importorskip("torch")
    import pickle  # pylint: disable=import-outside-toplevel
    import torch  # pylint: disable=import-outside-toplevel

    model = tmp_path / "foreign.pt"
    torch.save({"format": Foreign()}, model, pickle_module=pickle)
    code, out, err = run_cli(f"refiner info {model}", places, capsys)
    assert code == 2 and "Traceback" not in err and "weights_only" not in err
    assert "not a synthscene refiner model" in err and "never as code" in err
    json.dumps(err)  # plain text
