"""``init``: a starter project (config with every metric, and the sample data) that runs as is."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from csmkpi.errors import OutputError
from csmkpi.output.targets import write_path as write_file


def init(folder: Path, *, force: bool = False) -> list[Path]:
    """Write ``kpis.yaml`` and ``data/*.csv`` into ``folder``; return the files written.

    Refuses to overwrite existing files unless ``force``.
    """
    from csmkpi.sample import HEADERS, build_tables, csv_text

    config = folder / "kpis.yaml"
    data = folder / "data"
    tables = build_tables()
    targets = [config, *(data / f"{name}.csv" for name in tables)]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise OutputError(f"{existing[0]}: already exists (use --force to overwrite the starter files)")
    payloads = [resources.files("csmkpi").joinpath("starter_kpis.yaml").read_bytes()]
    payloads += [csv_text(HEADERS[name], rows).encode("utf-8") for name, rows in tables.items()]
    new_folders = [f for f in (data, *data.parents) if not f.exists()]  # deepest first
    written: list[Path] = []
    try:
        try:
            data.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{data}: cannot create the folder: {exc.strerror}") from exc
        for path, payload in zip(targets, payloads, strict=True):
            write_file(path, payload)  # atomic: each file is whole or absent
            written.append(path)
    except BaseException:  # a full disk, Ctrl-C: a failed init leaves no project behind (SPEC 6)
        for path in written:
            if path not in existing:
                path.unlink(missing_ok=True)
        for made in new_folders:
            try:
                made.rmdir()
            except OSError:
                pass  # not empty (a file of the user's) or already gone
        raise
    return targets
