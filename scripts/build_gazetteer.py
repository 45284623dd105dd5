"""Generate data/gazetteer/regions.csv: every Indonesian province and kabupaten/kota.

Why generated: the list changes with the law (four Papua provinces were created in 2022),
so it is rebuilt from a maintained source instead of being typed by hand. The hand-made
part (abbreviations such as "Jkt", "Jaksel", "Sby", and towns that are not a kabupaten/kota
such as Cikarang) lives beside it in data/gazetteer/aliases.yml and is never generated.

Source: the npm package ``idn-area-data`` (https://github.com/fityannugroho/idn-area-data),
"Indonesia administrative area data, based on the latest regulation" (government
sources, listed in the repository's docs/references.md), files data/provinces.csv and
data/regencies.csv: 38 provinces, 416 kabupaten and 98 kota in version 4.0.1. Package code is MIT; the DATA is under the Open Database License
(ODbL 1.0): regions.csv is a derivative database, so it stays under ODbL with attribution
(see data/gazetteer/README.md). The package is only read at build time, never at run time.

Usage (npm's ordinary client fetches the pinned version into a temporary directory):

    python scripts/build_gazetteer.py                 # npm pack idn-area-data@VERSION
    python scripts/build_gazetteer.py --source DIR    # an unpacked package (DIR/data/*.csv)

Output columns: code (Kemendagri code), kind (province/kabupaten/kota), province (code),
name (official name), value (what the bot stores and shows: "Jakarta Selatan", "Bandung",
"Kabupaten Bandung" only where the customer said "Kab. Bandung").
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "idn-area-data"
VERSION = "4.0.1"
LICENCE = "ODbL-1.0 (data), MIT (package code)"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "data" / "gazetteer" / "regions.csv"

# Official province names that nobody types in full; the value is what people write.
PROVINCE_VALUES = {
    "Daerah Khusus Ibukota Jakarta": "Jakarta",
    "Daerah Istimewa Yogyakarta": "DI Yogyakarta",
}


def short_name(official: str) -> str:
    """'Kota Administrasi Jakarta Selatan' -> 'Jakarta Selatan', 'Kabupaten Bandung' -> 'Bandung'."""
    name = official
    for prefix in ("Kabupaten ", "Kota "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    if name.startswith("Administrasi "):
        name = name[len("Administrasi ") :]
    return name


def fetch(workdir: Path) -> Path:
    """``npm pack`` the pinned package into ``workdir`` and unpack it; returns the package dir."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"],
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = next(workdir.glob(f"{PACKAGE}-{VERSION}.tgz"))
    with tarfile.open(tarball) as archive:
        archive.extractall(workdir, filter="data")
    return workdir / "package"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build(source: Path) -> list[dict[str, str]]:
    provinces = read_csv(source / "data" / "provinces.csv")
    regencies = read_csv(source / "data" / "regencies.csv")
    rows: list[dict[str, str]] = []
    for province in provinces:
        name = province["name"]
        rows.append(
            {
                "code": province["code"],
                "kind": "province",
                "province": province["code"],
                "name": name,
                "value": PROVINCE_VALUES.get(name, name),
            }
        )
    shorts = [short_name(r["name"]) for r in regencies]
    for regency, short in zip(regencies, shorts, strict=True):
        kind = "kota" if regency["name"].startswith("Kota ") else "kabupaten"
        rows.append(
            {
                "code": regency["code"],
                "kind": kind,
                "province": regency["province_code"],
                "name": regency["name"],
                "value": short,
            }
        )
    return rows


def write(rows: list[dict[str, str]], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["code", "kind", "province", "name", "value"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="unpacked idn-area-data package directory")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or fetch(Path(tmp))
        rows = build(source)
    write(rows, args.output)
    counts = {
        kind: sum(1 for r in rows if r["kind"] == kind)
        for kind in ("province", "kabupaten", "kota")
    }
    print(f"{args.output}: {counts} from {PACKAGE}@{VERSION} ({LICENCE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
