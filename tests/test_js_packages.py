"""The npm packages (clients/js: newsbridge-client; integrations/superdesk: newsbridge-superdesk) as a Superdesk
newsroom gets them: their committed ES2017 builds are what the sources build to, the extension type-checks against
the ai-widget interface, and ``npm pack`` of both, installed into a scratch project, bundles with webpack 3.11.0
(Superdesk's bundler, which parses node_modules as they are and stops at ES2017) and runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.node_tools import ROOT, node, npm, tsc, webpack3

CLIENT = ROOT / "clients" / "js"
SUPERDESK = ROOT / "integrations" / "superdesk"
PACKAGES = {"newsbridge-client": CLIENT, "newsbridge-superdesk": SUPERDESK}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_the_committed_es2017_build_is_what_the_source_builds_to(name: str, tmp_path: Path) -> None:
    package = PACKAGES[name]
    done = subprocess.run([*tsc(), "-p", str(package / "tsconfig.json"), "--outDir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    built, committed = _files(tmp_path), _files(package / "dist")
    assert built, "tsc wrote nothing"
    assert sorted(built) == sorted(committed), f"{name}: dist/ is out of date: npm run build in {package}"
    stale = [f for f in built if built[f] != committed[f]]
    assert not stale, f"{name}: {stale} out of date: npm run build in {package.relative_to(ROOT)}"


def test_the_extension_type_checks_against_the_ai_widget_interface() -> None:
    """test/configure.check.ts: the configuration is what ``configure()`` takes, and its @ts-expect-error lines
    (wrong configurations) must fail, so a declaration too loose to catch them fails here."""
    done = subprocess.run([*tsc(), "-p", str(SUPERDESK / "tsconfig.check.json")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def _pack(package: Path, dest: Path) -> tuple[Path, list[str]]:
    done = subprocess.run([npm(), "pack", "--json", "--pack-destination", str(dest)], cwd=package,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)[0]
    return dest / info["filename"], sorted(f["path"] for f in info["files"])


def _webpack(project: Path, entry: str) -> subprocess.CompletedProcess[str]:
    """webpack 3.11.0 as Superdesk's client runs it on a newsroom's code: node_modules go to webpack's own parser
    (Superdesk's ts-loader rule excludes them), the same resolve.extensions; a commonjs2 bundle to run in node."""
    config = project / "webpack.config.js"
    config.write_text(
        "const path = require('path');\n"
        "module.exports = {\n"
        f"  entry: {{app: [path.join(__dirname, {json.dumps(entry)})]}},\n"
        "  output: {path: path.join(__dirname, 'dist'), filename: '[name].bundle.js', libraryTarget: 'commonjs2'},\n"
        "  resolve: {extensions: ['.js', '.jsx', '.ts', '.tsx']},\n"
        "};\n",
        encoding="utf-8",
    )
    return subprocess.run([*webpack3(), "--config", str(config)], cwd=project, capture_output=True, text=True,
                          timeout=300)


BUNDLE_CHECK = r"""
const m = require('./dist/app.bundle.js');
const body = '<p>Polish officials said on Friday.</p>\n<!-- EMBED START Image {id: "editor_0"} -->\n<figure>\n'
  + '    <img src="a.jpg" alt="" />\n    <figcaption>Border guards.</figcaption>\n</figure>\n'
  + '<!-- EMBED END Image {id: "editor_0"} -->';
const requests = [];
const superdesk = {
  httpRequestJsonLocal: (r) => {
    requests.push(r.path);
    return Promise.resolve({summary: 'Guards.', summary_sentences: []});
  },
  ui: {notify: {error: () => {}}},
};
m.newsbridgeAiWidget({proxyPath: '/newsbridge'})(superdesk).generateSummary({_id: '1', language: 'en', body_html: body})
  .then((summary) => console.log(JSON.stringify({
    kinds: m.splitBodyHtml(body).map((p) => p.kind), summary, requests,
    client: typeof new m.Newsbridge({baseUrl: 'http://localhost'}).translate,
  })));
"""


def test_npm_packs_bundle_with_webpack_3_as_in_superdesk(tmp_path: Path) -> None:
    client_tgz, client_files = _pack(CLIENT, tmp_path)
    widget_tgz, widget_files = _pack(SUPERDESK, tmp_path)
    assert client_files == ["README.md", "dist/newsbridge.js", "newsbridge.d.ts", "package.json"]
    assert "dist/newsbridge-ai-widget.js" in widget_files and "server/newsbridge_proxy.py" in widget_files
    assert not [f for f in widget_files if f.startswith(("src/", "test/"))]

    project = tmp_path / "newsroom-client"
    project.mkdir()
    (project / "package.json").write_text('{"name": "newsroom-client", "private": true, "version": "1.0.0"}\n',
                                          encoding="utf-8")
    done = subprocess.run([npm(), "install", "--offline", "--no-audit", "--no-fund", str(client_tgz),
                           str(widget_tgz)], cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (project / "index.js").write_text(
        "import {newsbridgeAiWidget, splitBodyHtml} from 'newsbridge-superdesk';\n"
        "import {Newsbridge} from 'newsbridge-client';\n"
        "export {newsbridgeAiWidget, splitBodyHtml, Newsbridge};\n",
        encoding="utf-8",
    )
    built = _webpack(project, "index.js")
    out = built.stdout + built.stderr
    assert built.returncode == 0 and "ERROR" not in out, out
    assert "webpack 3.11.0" in out
    run = subprocess.run([node(), "-e", BUNDLE_CHECK], cwd=project, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["kinds"] == ["text", "kept", "caption", "kept"]
    assert result["summary"] == "Guards." and result["requests"] == ["/newsbridge/v1/summarize"]
    assert result["client"] == "function"

    # The same bundler on the modern source (what the service serves) fails as Superdesk's build did before:
    # this is the check that can fail.
    (project / "modern.js").write_bytes((CLIENT / "newsbridge.js").read_bytes())
    failed = _webpack(project, "modern.js")
    assert failed.returncode != 0 and "Module parse failed" in failed.stdout + failed.stderr
