"""The page checks themselves: they must catch what they are there to catch, or every
console page would pass them for nothing."""

from checks import BLOCKING, axe_violations, unlabelled_fields

BAD_PAGE = """<!doctype html><html><head><title>t</title></head><body><main>
<input id="a" name="a"><label>Orphan label</label>
<label for="b">B</label><input id="b" name="b">
<label>C <select name="c"><option>1</option></select></label>
<textarea aria-label="D"></textarea>
<input type="hidden" name="csrf" value="x"><button type="submit">Go</button>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main></body></html>"""


def test_an_unlabelled_field_and_a_serious_axe_violation_are_caught(page):
    page.set_content(BAD_PAGE)
    count, unlabelled = unlabelled_fields(page)
    assert count == 4
    assert len(unlabelled) == 1 and 'id="a"' in unlabelled[0], unlabelled
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("label") in BLOCKING, found
    assert found.get("image-alt") in BLOCKING, found
    assert "html-has-lang" in found, found
