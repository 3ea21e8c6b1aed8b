"""A notification that never gets through becomes a dead letter; Retry sends it again."""

from playwright.sync_api import expect

from console import create_instance, reload_until, statuses


def test_a_dead_letter_is_retried_from_the_instance_page(server, simulator, receiver, page, check):
    instance_id = create_instance(page, server, simulator, receiver)
    receiver.answer(500)
    simulator.add_companies("Initech")
    page.get_by_role("button", name="Poll now").click()
    expect(page.get_by_role("status")).to_contain_text("Polled")

    # Three attempts (the server retries after 100 ms and 200 ms), then DEAD.
    dead = page.locator("#dead-letters tbody tr")
    reload_until(page, "a dead letter", lambda: dead.count() == 1)
    assert statuses(page) == ["DEAD"]
    expect(page.locator("#events ol.attempts li")).to_have_count(3)
    expect(page.locator("#events ol.attempts li").first).to_contain_text("500")
    check("dead-letters")
    assert len(receiver.received) == 3 and not receiver.delivered()

    receiver.answer(200)
    dead.get_by_role("button", name="Retry event").click()
    expect(page.get_by_role("status")).to_contain_text("Sent again")
    reload_until(page, "the retried event NOTIFIED", lambda: statuses(page) == ["NOTIFIED"])
    expect(page.locator("#dead-letters")).to_contain_text("No dead letters")
    expect(page.locator("#events ol.attempts li").last).to_contain_text("200")
    check("dead-letter-retried")
    assert [e["status"] for e in server.events(instance_id)] == ["NOTIFIED"]
    assert len(receiver.delivered()) == 1
