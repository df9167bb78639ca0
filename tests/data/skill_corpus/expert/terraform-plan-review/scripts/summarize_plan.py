"""Print one line per changed resource in a Terraform JSON plan; exit 1 if anything is destroyed."""

import json
import sys


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        plan = json.load(handle)
    destroys = 0
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions == ["no-op"]:
            continue
        destroys += "delete" in actions
        reason = change.get("action_reason", "")
        print(f"{change['address']}\t{'/'.join(actions)}\t{reason}")
    return 1 if destroys else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
