"""Reading and writing the YAML frontmatter of SKILL.md.

Parsing uses PyYAML's safe loader because that is what most skill consumers do, and its
implicit typing (`yes` -> True, `1.0` -> 1.0) is exactly the trap the rules must catch.
Rendering therefore double-quotes every scalar so a value written as a string is read back
as that same string by every YAML parser (PyYAML, strictyaml, ruamel).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

DELIMITER = "---"

# Key order of rendered frontmatter; also the complete set of keys the format allows.
KEY_ORDER: tuple[str, ...] = (
    "name",
    "description",
    "license",
    "compatibility",
    "allowed-tools",
    "metadata",
)

FrontmatterValue = str | Mapping[str, str]

# PyYAML's scanner rechecks every open flow level on each token, so "[" * n takes quadratic
# time (8,000 characters: 7 s), and its composer recurses once per level. Frontmatter must be
# block style anyway; deeper nesting is refused before YAML sees it.
MAX_FLOW_DEPTH = 32
# Even linear, PyYAML in Python reads ~25,000 characters a second of hostile frontmatter; the
# largest valid one (the field limits, quoted) is a few KB, so this bounds the work at ~1 s.
MAX_FRONTMATTER_CHARS = 16_384


class FrontmatterError(ValueError):
    """SKILL.md frontmatter is missing, unclosed, too large or deep, not YAML, or not a mapping."""


def split_skill_md(text: str) -> tuple[str | None, str]:
    """Split SKILL.md into (frontmatter text, body).

    Returns ``(None, text)`` when the file does not open with a ``---`` line. Raises
    `FrontmatterError` when it opens one but never closes it, because then no body exists.
    The closing delimiter is the first later line that is exactly ``---``.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != DELIMITER:
        return None, text
    for index in range(1, len(lines)):
        if lines[index].rstrip() == DELIMITER:
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise FrontmatterError(
        "SKILL.md opens its frontmatter with '---' on line 1 but never closes it with a "
        "second '---' line"
    )


def load_frontmatter_yaml(frontmatter_text: str) -> dict[str, Any]:
    """Parse frontmatter YAML (without delimiters) into a mapping.

    Duplicate keys are rejected: PyYAML silently keeps the last one, strictyaml refuses the
    document, so a skill with duplicates means different things to different clients.
    """
    if len(frontmatter_text) > MAX_FRONTMATTER_CHARS:
        raise FrontmatterError(
            f"frontmatter is {len(frontmatter_text)} characters long; the limit is "
            f"{MAX_FRONTMATTER_CHARS} (keep long material in the body or references/)"
        )
    if flow_depth(frontmatter_text) > MAX_FLOW_DEPTH:
        raise FrontmatterError(
            f"frontmatter nests '[' or '{{' more than {MAX_FLOW_DEPTH} deep; write block-style "
            "YAML"
        )
    try:
        data = yaml.safe_load(frontmatter_text)
        node = yaml.compose(frontmatter_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise FrontmatterError(f"frontmatter is not valid YAML: {detail}") from exc
    except RecursionError as exc:  # deep block nesting ("- - - ..."): PyYAML recurses
        raise FrontmatterError("frontmatter nests too deeply to read; write flat YAML") from exc
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise FrontmatterError(f"frontmatter must be a YAML mapping of keys, but it is {kind}")
    duplicates = _duplicate_keys(node)
    if duplicates:
        raise FrontmatterError(
            "frontmatter repeats the key(s) "
            + ", ".join(repr(key) for key in duplicates)
            + "; each key may appear once"
        )
    return data


def parse_frontmatter(text: str) -> dict[str, Any]:
    """Parse the frontmatter of a whole SKILL.md text.

    Raises `FrontmatterError` when the delimiters are missing or unclosed, the YAML is
    invalid, keys repeat, or the YAML is not a mapping.
    """
    frontmatter_text, _ = split_skill_md(text)
    if frontmatter_text is None:
        raise FrontmatterError("SKILL.md must start with a '---' line opening the frontmatter")
    return load_frontmatter_yaml(frontmatter_text)


def disallowed_yaml_constructs(frontmatter_text: str) -> tuple[list[str], list[str]]:
    """Find flow-style collections and tags/anchors/aliases in frontmatter YAML.

    Returns ``(flow_problems, tag_problems)`` as human sentences. Found by scanning YAML
    tokens, so a ``{`` or ``[`` inside a quoted string is not reported. strictyaml (used by
    the reference validator) rejects all of these, so they make a skill non-portable.
    Unscannable text yields no findings here; the parse step reports it.
    """
    flow: list[str] = []
    tags: list[str] = []
    if len(frontmatter_text) > MAX_FRONTMATTER_CHARS:
        return flow, tags  # not read: the parse step reports the size
    if flow_depth(frontmatter_text) > MAX_FLOW_DEPTH:
        return [f"flow-style collections nested more than {MAX_FLOW_DEPTH} deep"], tags
    try:
        tokens = list(yaml.scan(frontmatter_text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return flow, tags
    for token in tokens:
        line = token.start_mark.line + 1
        if isinstance(token, yaml.FlowMappingStartToken):
            flow.append(f"flow-style mapping '{{...}}' on frontmatter line {line}")
        elif isinstance(token, yaml.FlowSequenceStartToken):
            flow.append(f"flow-style list '[...]' on frontmatter line {line}")
        elif isinstance(token, yaml.TagToken):
            tags.append(f"YAML tag on frontmatter line {line}")
        elif isinstance(token, yaml.AnchorToken):
            tags.append(f"YAML anchor '&{token.value}' on frontmatter line {line}")
        elif isinstance(token, yaml.AliasToken):
            tags.append(f"YAML alias '*{token.value}' on frontmatter line {line}")
    return flow, tags


def flow_depth(text: str) -> int:
    """The deepest run of unclosed '[' and '{', counted in linear time and without regard to
    quotes or comments: an over-count only refuses text no skill's frontmatter needs."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}" and depth:
            depth -= 1
    return deepest


def _duplicate_keys(node: yaml.Node | None) -> list[str]:
    if not isinstance(node, yaml.MappingNode):
        return []
    seen: set[str] = set()
    duplicates: list[str] = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
        duplicates.extend(k for k in _duplicate_keys(value_node) if k not in duplicates)
    return duplicates


def quote_yaml_string(value: str) -> str:
    """Return ``value`` as a YAML double-quoted scalar that parses back to exactly ``value``.

    Anything outside printable ASCII-safe text (control characters, line/paragraph
    separators, BOM) is escaped, so the scalar always stays on one line.
    """
    out: list[str] = ['"']
    for char in value:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif code in (0x2028, 0x2029, 0xFEFF) or 0xD800 <= code <= 0xDFFF or code >= 0xFFFE:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def render_frontmatter(frontmatter: Mapping[str, FrontmatterValue | None]) -> str:
    """Render frontmatter YAML (without delimiters) in block style with quoted values.

    Keys follow `KEY_ORDER`; ``None`` values and an empty ``metadata`` map are omitted.
    Raises ValueError for keys outside the format and TypeError for wrongly typed values,
    because rendering is the one place where an invalid skill can be prevented outright.
    """
    unknown = [key for key in frontmatter if key not in KEY_ORDER]
    if unknown:
        raise ValueError(
            "cannot render frontmatter keys outside the Agent Skills format: "
            + ", ".join(repr(key) for key in unknown)
        )
    lines: list[str] = []
    for key in KEY_ORDER:
        value = frontmatter.get(key)
        if value is None:
            continue
        if key == "metadata":
            if not isinstance(value, Mapping):
                raise TypeError("metadata must be a mapping of strings to strings")
            if not value:
                continue
            lines.append("metadata:")
            for meta_key, meta_value in value.items():
                if not isinstance(meta_key, str) or not isinstance(meta_value, str):
                    raise TypeError(
                        f"metadata entry {meta_key!r}: {meta_value!r} must map a string to a string"
                    )
                lines.append(f"  {quote_yaml_string(meta_key)}: {quote_yaml_string(meta_value)}")
        else:
            if not isinstance(value, str):
                raise TypeError(f"frontmatter value for {key!r} must be a string, got {value!r}")
            lines.append(f"{key}: {quote_yaml_string(value)}")
    return "".join(line + "\n" for line in lines)


def render_skill_md(frontmatter: Mapping[str, FrontmatterValue | None], body: str) -> str:
    """Render a complete SKILL.md: quoted block-style frontmatter, a blank line, the body."""
    return f"{DELIMITER}\n{render_frontmatter(frontmatter)}{DELIMITER}\n\n{body.strip(chr(10))}\n"
