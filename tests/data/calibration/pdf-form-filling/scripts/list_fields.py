"""Print the fillable fields of a PDF as JSON: name, type, value, allowed export values."""

import json
import sys

from pypdf import PdfReader

fields = PdfReader(sys.argv[1]).get_fields() or {}
print(json.dumps([
    {"name": name, "type": str(f.get("/FT")), "value": str(f.get("/V", "")),
     "states": [str(s) for s in f.get("/_States_", [])]}
    for name, f in fields.items()
], indent=2))
