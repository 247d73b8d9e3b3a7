"""With the default writer nothing changes: the answer is the extractive one, the writer
package is never imported, and neither are the LLM libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from s1assist.config import Settings
from s1assist.index import LoadedIndex

PROBE = """
import json, sys
from s1assist.chat import Assistant
from s1assist.config import Settings
answer = Assistant(Settings()).load(warm=False).answer("Can S1 impingement cause sciatica?", [])
loaded = [m for m in ("s1assist.writing", "llama_cpp", "openai") if m in sys.modules]
print(json.dumps({"writer": answer.writer, "dropped": answer.dropped,
                  "sentences": len(answer.sentences), "loaded": loaded}))
"""


def test_the_default_writer_imports_no_llm_package(
    built_index: LoadedIndex, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {
        **cli_env,
        "S1ASSIST_PATHS__CORPUS": str(settings.paths.corpus),
        "S1ASSIST_PATHS__INDEX": str(settings.paths.index),
        "S1ASSIST_PATHS__DATA": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {
        "writer": "extractive",
        "dropped": 0,
        "sentences": result["sentences"],
        "loaded": [],
    }
    assert result["sentences"] >= 2
