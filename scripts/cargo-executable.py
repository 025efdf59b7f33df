"""Print the path of the executable cargo built for a target.

Reads cargo's `--message-format=json` messages on stdin, as in
`cargo bench --bench parse_floor --no-run --message-format=json |
python3 scripts/cargo-executable.py parse_floor`.
"""

import json
import sys

name = sys.argv[1]
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if (
        message.get("reason") == "compiler-artifact"
        and message.get("executable")
        and message["target"]["name"] == name
    ):
        print(message["executable"])
