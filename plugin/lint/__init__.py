"""The linter: OpenAI's rules for plugins and GPT Actions, one module per source of rules.

``manifest`` (ai-plugin.json), ``openapi`` (the spec as plugins read it), ``actions`` (what GPT
Actions add), ``mcp`` (the tools ``/mcp`` builds from the spec), ``served`` (the bytes ChatGPT
receives); ``local`` checks the files under ``PLUGIN_ROOT``, ``live`` a running plugin over
HTTP. It reads files and URLs only, never the running app.
"""

from .findings import Finding, Report
from .live import check_url
from .local import check_root

__all__ = ["Finding", "Report", "check_root", "check_url"]
