"""The seed pages' UI path: a Sage CRM instance with events, created by ticking resources and
clicking Create Instance; then its first poll against the simulator and its delivered events."""

import re

from playwright.sync_api import expect

from console import SIGNATURE_KEY, create_instance, reload_until, statuses


def test_create_a_sagecrm_instance_then_see_its_first_poll_and_delivered_events(
    server, simulator, receiver, page, check
):
    instance_id = create_instance(page, server, simulator, receiver, check)

    # Registered as the API would have it: events on, the two ticked resources, secrets kept.
    stored = server.api("GET", f"/instances/{instance_id}")[1]
    config = stored["configuration"]
    assert config["event.notification.enabled"] in (True, "true"), config
    assert config["event.notification.callback.url"] == receiver.url
    assert sorted(config["event.poller.configuration"]) == ["accounts", "contacts"]
    assert config["password"] == "********" and config["event.notification.signature.key"] == "********"
    expect(page.get_by_text("No polls yet.")).to_be_visible()

    simulator.add_companies("Acme Corp", "Globex")
    page.get_by_role("button", name="Poll now").click()
    expect(page.get_by_role("status")).to_contain_text("Polled")
    poll_log = page.locator("#poll-log tbody tr")
    expect(poll_log).to_have_count(2)
    accounts = poll_log.filter(has=page.locator("td code", has_text=re.compile("^accounts$")))
    expect(accounts.locator("td").nth(4)).to_have_text("2")  # events found
    expect(accounts.locator("td").nth(6)).to_have_text("ok")

    reload_until(
        page,
        "both events NOTIFIED",
        lambda: statuses(page) == ["NOTIFIED", "NOTIFIED"],
    )
    expect(page.locator("#events tbody tr").first.locator("ol.attempts li")).to_contain_text("200")
    expect(page.locator("#dead-letters")).to_contain_text("No dead letters")
    check("instance")

    delivered = receiver.delivered()
    names = sorted(
        r["Comp_Name"] for n in delivered for r in n["body"]["message"]["raw"]["accounts"]
    )
    assert names == ["Acme Corp", "Globex"], delivered
    assert all(n["headers"].get("elements-webhook-signature") for n in delivered)
    assert SIGNATURE_KEY not in str(delivered)

    page.get_by_role("link", name="Instances").click()
    row = page.locator("tbody tr", has=page.get_by_role("link", name="Sage CRM (simulator)"))
    expect(row).to_contain_text("Sage CRM")
    expect(row.locator("td").nth(2)).to_have_text("on")
    check("instances")
