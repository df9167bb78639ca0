"""The LLM providers an author can be built for (`SKILL_FLEET_MODEL=<provider>:<model>`).

Its own module so that choosing an author (`activities.authors`) needs no import of the LLM
author, whose provider libraries double a worker's start time.
"""

from __future__ import annotations

PROVIDERS = ("openai", "anthropic")
