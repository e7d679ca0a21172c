"""The modeler page carries the diagram conventions its scripts read."""

from __future__ import annotations

import json
import re

from engine import conventions

from .conftest import Login


def test_the_editor_page_embeds_the_conventions(login: Login) -> None:
    page = login("qingyang_owner").get("/modeler/qingyang").get_data(as_text=True)
    found = re.search(r'id="modeler-config">(.*?)</script>', page, re.S)
    assert found is not None
    config = json.loads(found.group(1))
    assert config["conventions"] == conventions.for_modeler()
    assert config["conventions"]["CANDIDATE_GROUP"] == "candidateGroup"
