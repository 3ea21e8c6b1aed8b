"""Checks every console page goes through: a screenshot, axe-core (vendored) with no serious or
critical violation, every form field labelled, and no secret in the page's source."""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# page name -> axe violations (every impact), for the report at the end of the run.
_axe_results: dict[str, list[dict]] = {}


def artifacts_dir() -> Path:
    return REPO / "target" / "browser-tests"


def screenshots_dir() -> Path:
    """target/browser-tests/screenshots, or $POLLHOOK_SCREENSHOTS (docs/screenshots refreshes
    the ones the README shows)."""
    given = os.environ.get("POLLHOOK_SCREENSHOTS")
    d = Path(given) if given else artifacts_dir() / "screenshots"
    if not d.is_absolute():
        d = REPO / d
    d.mkdir(parents=True, exist_ok=True)
    return d


_UNLABELLED_FIELDS = """
() => {
  const text = n => (n && n.textContent || '').trim();
  const fields = Array.from(document.querySelectorAll('input, select, textarea')).filter(el => {
    const type = (el.getAttribute('type') || '').toLowerCase();
    return !(el.tagName === 'INPUT' && ['hidden', 'submit', 'button', 'reset', 'image'].includes(type));
  });
  const unlabelled = fields.filter(el => {
    const byLabel = Array.from(el.labels || []).some(l => text(l));
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .some(id => text(document.getElementById(id)));
    const byAria = (el.getAttribute('aria-label') || '').trim() !== '';
    return !(byLabel || byIds || byAria);
  });
  return {count: fields.length, unlabelled: unlabelled.map(el => el.outerHTML.slice(0, 240))};
}
"""


def unlabelled_fields(page) -> tuple[int, list[str]]:
    """(fields on the page, those without a label: <label for>, a wrapping <label>,
    aria-labelledby or aria-label with text)."""
    r = page.evaluate(_UNLABELLED_FIELDS)
    return r["count"], r["unlabelled"]


def axe_violations(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol, not as a <script> tag: the console's
        # Content-Security-Policy (script-src 'self') stays in force for the page's own code.
        page.evaluate(AXE.read_text() + "\n;undefined")
    return page.evaluate(
        """async () => {
      const r = await axe.run(document, {resultTypes: ['violations']});
      return r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }"""
    )


def check_page(page, name: str, secrets: tuple[str, ...] = ()) -> None:
    """Screenshot `name`.png, then fail on an unlabelled field, a serious or critical axe
    violation, or any of `secrets` in the page's source."""
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshots_dir() / f"{name}.png"), full_page=True)
    count, unlabelled = unlabelled_fields(page)
    assert not unlabelled, f"{name}: form fields without a label: {unlabelled}"
    violations = axe_violations(page)
    _axe_results[name] = violations
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: axe-core serious/critical violations:\n" + json.dumps(
        blocking, indent=2
    )
    source = page.content()
    for secret in secrets:
        assert secret not in source, f"{name}: a secret is in the page source"


def write_axe_report(terminalreporter) -> None:
    if not _axe_results:
        return
    out = artifacts_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / "axe-report.json").write_text(json.dumps(_axe_results, indent=2, sort_keys=True))
    terminalreporter.write_sep("-", "axe-core (vendored) findings per page")
    for name, violations in sorted(_axe_results.items()):
        if not violations:
            terminalreporter.write_line(f"{name}: no violation")
        for v in violations:
            terminalreporter.write_line(
                f"{name}: {v['impact']} {v['id']} ({len(v['nodes'])} node(s)): {v['help']}"
            )
    terminalreporter.write_line(f"details: {out / 'axe-report.json'}")
