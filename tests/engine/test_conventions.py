"""The diagram conventions: candidate groups and article citations."""

from __future__ import annotations

from engine import conventions
from engine.conventions import article_keys, group_jurisdiction, group_name, group_role


def test_groups_join_a_jurisdiction_and_a_role() -> None:
    group = group_name("qingyang", conventions.APPLICANT_ROLE)
    assert group == "qingyang:applicant_unit"
    assert (group_jurisdiction(group), group_role(group)) == ("qingyang", "applicant_unit")
    assert group_role("lonely") == "lonely" and group_jurisdiction("lonely") == "lonely"


def test_article_keys_expand_lists_ranges_and_qualifiers() -> None:
    assert article_keys("Art. 7, 27–29 x; Art. 12 ¶3, 26 ¶2; Art. 8(四); Art. 23*") == [
        "Art. 7", "Art. 27", "Art. 28", "Art. 29", "Art. 12", "Art. 26", "Art. 8", "Art. 23*"]
    assert article_keys("二(二)2 ¶1, 二（四）6 与 三、3") == ["二(二)2", "二(四)6", "三、3"]
