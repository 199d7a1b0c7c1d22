// The users page: who Orcastra knows, their role and the group it comes from, whether they
// may sign in; admins can read the identity provider's directory at once.
(function () {
  "use strict";
  const { call, all, cell, when, badge, byId, errorsIn } = window.Orcastra;
  const { errorBox, messageBox, body } = byId({ errorBox: "users-error", messageBox: "users-message", body: "users" });
  const syncButton = document.getElementById("sync");
  const showError = errorsIn(errorBox, [messageBox]);

  function userRow(user) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "user-row";
    tr.dataset.name = user.name || user.subject;
    const state = document.createElement("td");
    state.append(user.disabled ? badge("disabled", "bad", user.disabled_reason || "") : badge("active", "ok"));
    tr.append(cell(user.name || user.subject), cell(user.email), cell(user.role), cell(user.role_group), state,
      cell(user.last_seen_at ? when(user.last_seen_at) : "never signed in"), cell(user.synced_at ? when(user.synced_at) : "—"));
    return tr;
  }

  async function load() {
    const page = await all("/api/v1/users");
    body.replaceChildren(...page.items.map(userRow));
  }

  if (syncButton) {
    syncButton.addEventListener("click", async () => {
      syncButton.disabled = true;
      try {
        const report = await call("POST", "/api/v1/users/sync");
        errorBox.hidden = true;
        messageBox.hidden = false;
        messageBox.textContent = "Read " + report.read + " users: " + report.created + " created, " + report.updated + " updated, " +
          report.disabled + " disabled, " + report.enabled + " enabled.";
        await load();
      } catch (e) {
        showError(e);
      } finally {
        syncButton.disabled = false;
      }
    });
  }
  load().catch(showError);
})();
