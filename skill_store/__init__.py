"""The skill library on disk: where skills, drafts and old versions live, and reading them.

Used by the API (which only reads) and by the draft and promotion activities (which
write); every caller-supplied path goes through `skill_store.paths` first.
"""
