"""Our own word lists: which category a tool or a concept belongs to, and who a skill serves.

The offline author has no model, so it recognises a domain from the names people use for
their tools ("PagerDuty", "dbt", "Playwright") and from a few concept words ("latency",
"migration"). A tool name is strong evidence (weight `TOOL_WEIGHT`); a concept word is weak
(weight 1). Terms are lowercase; multi-word terms are written with spaces and match
consecutive words of the task. Terms are grouped by area; an area belongs to one of the
product's categories (`workflows/taxonomy.py`): frontend work is development, infrastructure
is devops, so every category the author picks is one a reviewer may also choose.
"""

from __future__ import annotations

TOOL_WEIGHT = 3
FALLBACK_CATEGORY = "general"

# The category each area's skills go under; order breaks ties (the earlier category wins).
AREA_CATEGORY: dict[str, str] = {
    "development": "development",
    "frontend": "development",
    "testing": "testing",
    "devops": "devops",
    "observability": "observability",
    "infrastructure": "devops",
    "data": "data",
    "security": "security",
    "documents": "documents",
    "writing": "writing",
}

TOOLS: dict[str, tuple[str, ...]] = {
    "development": (
        "git", "github", "gitlab", "bitbucket", "python", "javascript", "typescript", "java",
        "kotlin", "golang", "rust", "c++", "c#", ".net", "ruby", "rails", "php", "swift",
        "scala", "django", "flask", "fastapi", "spring", "node.js", "nodejs", "grpc", "graphql",
        "protobuf", "openapi", "eslint", "ruff", "mypy", "pip", "npm", "poetry", "maven",
        "gradle", "conventional commits", "vscode", "pull request", "merge request",
    ),
    "frontend": (
        "react", "vue", "angular", "svelte", "next.js", "nextjs", "css", "html", "tailwind",
        "sass", "webpack", "vite", "storybook", "figma", "redux", "jsx", "tsx", "dom",
    ),
    "testing": (
        "pytest", "unittest", "jest", "vitest", "mocha", "playwright", "cypress", "selenium",
        "junit", "testng", "hypothesis", "locust", "k6", "postman",
    ),
    "devops": (
        "docker", "jenkins", "github actions", "gitlab ci", "circleci", "argo cd", "argocd",
        "kubectl", "spinnaker", "buildkite", "travis", "nginx", "systemd", "bash",
    ),
    "observability": (
        "pagerduty", "opsgenie", "grafana", "prometheus", "datadog", "pprof", "opentelemetry",
        "jaeger", "sentry", "splunk", "kibana", "elasticsearch", "loki", "new relic",
        "honeycomb", "statsd", "promql", "flame graph", "flame graphs",
    ),
    "infrastructure": (
        "terraform", "kubernetes", "k8s", "helm", "ansible", "pulumi", "cloudformation", "aws",
        "gcp", "azure", "ec2", "s3", "lambda", "vpc", "eks", "gke", "istio", "vault", "consul",
    ),
    "data": (
        "pandas", "sql", "spark", "pyspark", "dbt", "airflow", "snowflake", "bigquery",
        "redshift", "postgresql", "postgres", "mysql", "sqlite", "mongodb", "kafka", "jupyter",
        "numpy", "polars", "excel", "csv", "tableau", "looker", "power bi", "duckdb", "parquet",
    ),
    "security": (
        "owasp", "cve", "cves", "sql injection", "xss", "csrf", "oauth", "jwt", "tls", "ssl",
        "snyk", "trivy", "semgrep", "gitleaks", "burp", "nmap",
    ),
    "documents": (
        "pdf", "docx", "pptx", "xlsx", "word", "powerpoint", "google docs", "latex", "markdown",
        "confluence", "notion",
    ),
    "writing": (
        "newsletter", "blog post", "cover letter", "press release", "linkedin", "substack",
    ),
}

CONCEPTS: dict[str, tuple[str, ...]] = {
    "development": (
        "code", "refactor", "commit", "commits", "branch", "diff", "review", "debug", "lint",
        "function", "class", "repository", "repo", "api", "library", "module", "changelog",
        "rebase", "merge", "compiler", "bug", "bugs", "jira", "sprint",
    ),
    "frontend": (
        "component", "components", "ui", "layout", "browser", "accessibility", "responsive",
        "stylesheet", "frontend", "web page", "landing page",
    ),
    "testing": (
        "test", "tests", "testing", "unit test", "integration test", "coverage", "fixture",
        "fixtures", "mock", "flaky", "qa", "regression", "end-to-end", "e2e",
    ),
    "devops": (
        "deploy", "deployment", "release", "rollback", "ci", "cd", "pipeline", "build",
        "container", "on-call", "incident", "runbook", "postmortem", "outage",
    ),
    "observability": (
        "alert", "alerting", "latency", "p99", "p95", "dashboard", "metric", "metrics", "trace",
        "tracing", "logs", "log", "profiling", "slo", "sli", "monitoring",
        "observability", "error rate", "throughput",
    ),
    "infrastructure": (
        "cluster", "pod", "node", "infrastructure", "cloud", "network", "dns", "load balancer",
        "autoscaling", "provisioning", "iam",
    ),
    "data": (
        "spreadsheet", "database", "query", "queries", "dataset", "analysis", "chart",
        "charts", "report", "revenue", "schema", "migration", "table", "etl", "warehouse",
        "dataframe", "pivot", "analytics",
    ),
    "security": (
        "security", "vulnerability", "vulnerabilities", "secret", "secrets", "audit", "threat",
        "password", "encryption", "credential", "credentials", "injection", "deserialization",
        "leak", "leaked", "permission", "compliance",
    ),
    "documents": (
        "document", "form", "forms", "invoice", "slide", "slides", "slide deck", "presentation",
        "speaker notes", "template", "letterhead", "contract",
    ),
    "writing": (
        "write", "draft", "email", "copywriting", "article", "essay", "summary", "summarize",
        "summarise", "tone", "style", "transcript", "transcripts", "interview", "story",
        "announcement", "proofread",
    ),
}

# Who a "Help <someone> <verb> ..." task is for: the someone ends at one of these nouns.
ROLES: frozenset[str] = frozenset(
    """engineer engineers developer developers dev devs user users team teams analyst analysts
    reviewer reviewers writer writers author authors manager managers customer customers
    student students designer designers scientist scientists admin admins administrator
    administrators operator operators responder responders maintainer maintainers
    contributor contributors newcomer newcomers colleague colleagues lead leads sre sres
    marketer marketers support agent agents people person folks staff member members
    beginner beginners teacher teachers owner owners""".split()
)

CATEGORIES: tuple[str, ...] = (*dict.fromkeys(AREA_CATEGORY.values()), FALLBACK_CATEGORY)


def term_weights() -> dict[tuple[str, ...], tuple[str, int]]:
    """Every term as a word tuple, with its category and weight (tools outweigh concepts)."""
    table: dict[tuple[str, ...], tuple[str, int]] = {}
    for area, concepts in CONCEPTS.items():
        for term in concepts:
            table[tuple(term.split())] = (AREA_CATEGORY[area], 1)
    for area, tools in TOOLS.items():
        for term in tools:
            table[tuple(term.split())] = (AREA_CATEGORY[area], TOOL_WEIGHT)
    return table

# Trigger cases (`activities.offline_trigger_cases`): other words a user types for a job's
# verb, and per category neighbouring jobs that share a tool ("{tool}") but do something else.
VERB_SYNONYMS: dict[str, str] = {
    "review": "go over", "write": "put together", "draft": "put together", "create": "put together",
    "make": "put together", "build": "put together", "generate": "put together",
    "turn": "convert", "convert": "turn", "fill": "complete", "plan": "prepare",
    "triage": "debug", "debug": "troubleshoot", "diagnose": "troubleshoot",
    "investigate": "dig into", "analyze": "dig into", "analyse": "dig into",
    "summarise": "boil down", "summarize": "boil down", "audit": "scan", "scan": "audit",
    "fix": "repair", "refactor": "clean up", "design": "lay out", "test": "exercise",
    "document": "describe", "explain": "walk me through", "monitor": "keep an eye on",
    "migrate": "move", "optimize": "speed up", "optimise": "speed up", "clean": "tidy up",
    "check": "verify", "find": "track down", "extract": "pull out", "deploy": "roll out",
}

NEIGHBOUR_JOBS: dict[str, tuple[str, ...]] = {
    "development": (
        "Set up {tool} on a new laptop with the editor plugins",
        "Explain to a beginner how {tool} differs from its alternatives",
        "Rename a package across a large {tool} codebase",
        "Write unit tests for a small {tool} helper function",
    ),
    "testing": (
        "Write load tests for a checkout endpoint with {tool}",
        "Install {tool} and wire it into a new CI job",
        "Publish a {tool} coverage badge in the README",
    ),
    "devops": (
        "Write a {tool} module that provisions a storage bucket",
        "Estimate the monthly cloud bill of our {tool} setup",
        "Upgrade {tool} to the latest major version on every server",
        "Set up single sign-on for the {tool} console",
    ),
    "observability": (
        "Build a {tool} dashboard of request rates per endpoint",
        "Set log retention limits in {tool} to cut storage costs",
        "Write next quarter's on-call rotation schedule in {tool}",
    ),
    "data": (
        "Load last year's orders into {tool} for the finance team",
        "Explain window functions in {tool} with a short example",
        "Design a star schema for a sales warehouse in {tool}",
        "Make a bar chart of monthly sign-ups with {tool}",
    ),
    "security": (
        "Set up single sign-on with {tool} for the whole company",
        "Write a security awareness quiz about {tool} for new hires",
        "Compare {tool} pricing tiers for a small team",
    ),
    "documents": (
        "Merge several {tool} files into one and number the pages",
        "Add a watermark to every page of a {tool} file",
        "Translate a {tool} contract into Spanish",
    ),
    "writing": (
        "Translate the {tool} into Spanish",
        "Suggest five catchy titles for the {tool}",
        "Count the words in the {tool} and trim it to 500",
    ),
    # For a task that names no tool: its subject in jobs that fit any noun phrase.
    "subject": (
        "Translate the {tool} into Spanish",
        "Suggest five catchy titles about {tool}",
        "Explain {tool} to a non-technical manager",
        "Count the words in the {tool}",
    ),
    "general": (
        "Explain what {tool} is to a non-technical manager",
        "Compare {tool} with its main alternatives",
        "Set up {tool} for a new teammate",
    ),
}
