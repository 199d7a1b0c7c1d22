"""Signing in as a seeded user of the development identity provider, for the benchmark scripts.

`make env` seeds one user per role in `.data/devidp-users.json`; the provider's sign-in page is
one form with hidden fields (state, PKCE and the like) beside `username` and `password`.
"""
import html.parser, json, os, urllib.parse


class Form(html.parser.HTMLParser):
    """The provider's sign-in form: its action and hidden fields."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")


def seeded_admin(root, env):
    """The seeded user holding `role_admin`."""
    users = json.load(open(os.path.join(root, env.get("DEVIDP_SEED_FILE", ".data/devidp-users.json"))))["users"]
    return next(u for u in users if "role_admin" in u["groups"])


def fill(opener, page, user):
    """Posts the provider's form on `page` with the user's credentials; returns the answer."""
    form = Form()
    form.feed(page.read().decode())
    fields = dict(form.fields, username=user["username"], password=user["password"])
    return opener.open(urllib.parse.urljoin(page.geturl(), form.action), urllib.parse.urlencode(fields).encode())
