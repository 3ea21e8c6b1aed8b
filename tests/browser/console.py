"""What a user does in the console, step by step, as the tests repeat it: by labels and button
names, the way a person (or a screen reader) finds them."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from conftest import ORG_SECRET, USER_SECRET

# Stored in the instance, never to be shown by any page.
SAGECRM_PASSWORD = "browser-test-sagecrm-password"
SIGNATURE_KEY = "browser-test-signature-key"
SECRETS = (ORG_SECRET, USER_SECRET, SAGECRM_PASSWORD, SIGNATURE_KEY)


def sign_in(page: Page, server, check=None) -> None:
    """Opens the console, is sent to the sign-in form, signs in, lands on the instances list.
    `check(name)` runs on the sign-in page when given."""
    page.goto(server.url("/console"))
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    if check:
        check("sign-in")
    page.get_by_label("Organization secret").fill(ORG_SECRET)
    page.get_by_label("User secret").fill(USER_SECRET)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console$"))


def open_create_form(page: Page, check=None) -> None:
    """From any signed-in page: Create instance, then Sage CRM."""
    page.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Create instance"
    ).click()
    expect(page).to_have_url(re.compile(r"/console/instances/new$"))
    if check:
        check("create-choose-element")
    page.get_by_role("link", name="Create a Sage CRM instance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a Sage CRM instance")


def fill_sagecrm_form(
    page: Page,
    simulator,
    callback_url: str,
    resources=("accounts", "contacts"),
    name: str = "Sage CRM (simulator)",
) -> None:
    """The Sage CRM form, pointed at the simulator, events on, `resources` ticked."""
    page.get_by_label("Name", exact=False).first.fill(name)
    page.get_by_label("Tags").fill("browser, crm")
    page.get_by_label("Subdomain").fill("sagecrm.example.com")
    page.get_by_label("Username").fill("sim-user")
    page.get_by_label("Password").fill(SAGECRM_PASSWORD)
    page.get_by_label("Base URL override").fill(simulator.base)
    page.get_by_label("Events Enabled").check()
    page.get_by_label("Event Notification Callback URL").fill(callback_url)
    page.get_by_label("Event poller refresh interval (mins)").fill("15")
    page.get_by_label("Event Notification Signature Key").fill(SIGNATURE_KEY)
    for r in resources:
        page.get_by_role("checkbox", name=f"Poll {r}", exact=True).check()


def create_instance(page: Page, server, simulator, receiver, check=None) -> int:
    """Signs in and creates a Sage CRM instance (accounts and contacts) through the form;
    ends on the new instance's page and returns its id."""
    sign_in(page, server, check)
    open_create_form(page, check)
    fill_sagecrm_form(page, simulator, receiver.url)
    if check:
        check("create-form")
    page.get_by_role("button", name="Create Instance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Instance created")
    expect(page.locator("#instance-token")).not_to_be_empty()
    expect(page.locator("#webhook-secret")).to_have_text(re.compile(r"^whsec_"))
    if check:
        check("instance-created")
    page.get_by_role("link", name="Open the instance").click()
    expect(page).to_have_url(re.compile(r"/console/instances/\d+$"))
    return int(re.search(r"/console/instances/(\d+)$", page.url).group(1))


def reload_until(page: Page, what: str, ready, timeout: float = 20.0) -> None:
    """Reloads the (server-rendered) page until `ready()` holds."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"never saw {what} on {page.url}"
        time.sleep(0.2)
        page.reload()


def event_rows(page: Page):
    return page.locator("#events tbody tr")


def statuses(page: Page) -> list[str]:
    """The Status column of the events table, newest first."""
    return [t.strip() for t in page.locator("#events tbody tr td:nth-of-type(4)").all_inner_texts()]
