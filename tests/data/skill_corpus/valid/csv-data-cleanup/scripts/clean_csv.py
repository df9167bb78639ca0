"""Clean a large CSV in chunks: python clean_csv.py input.csv output.csv"""

import sys

import pandas as pd


def main(source: str, target: str) -> None:
    first = True
    for chunk in pd.read_csv(source, chunksize=100_000, dtype=str, encoding_errors="replace"):
        chunk.columns = [c.strip().lower().replace(" ", "_") for c in chunk.columns]
        chunk = chunk.apply(lambda col: col.str.strip()).drop_duplicates()
        chunk.to_csv(target, mode="w" if first else "a", header=first, index=False)
        first = False


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
