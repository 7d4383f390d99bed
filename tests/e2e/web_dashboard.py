"""The dashboard in headless Chromium (driven by Selenium), for
tests/e2e/web_dashboard.sh: the live page during a run, then report.html
from disk. Prints one JSON object of what the page showed; exits 1 with a
message on the first failed check. Standard library and selenium only."""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

url, out_dir, shots, profile = sys.argv[1:5]
seen = {}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def wait_for(what, fn, secs):
    end = time.time() + secs
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # the page may be between two updates
            pass
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def threshold_states(d):
    rows = {}
    for tr in d.find_elements(By.CSS_SELECTOR, "#thresholds tbody tr"):
        tds = tr.find_elements(By.TAG_NAME, "td")
        rows[tds[0].text] = tds[2].text
    return rows


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync",
          "--window-size=1400,1700", "--user-data-dir=" + profile):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    # ---- the live page ----
    d.get(url)
    wait_for("3 windows on the page",
             lambda: d.execute_script("return qvr.windows().length") >= 3, 15)
    for c in ("latency", "throughput", "distribution", "collect"):
        n = d.execute_script("return qvr.points(arguments[0])", c)
        if n < 3:
            fail("live chart %s has %d points" % (c, n))
        seen["live_points_" + c] = n
    th = threshold_states(d)
    seen["live_thresholds"] = th
    if th.get("p50 < 1ms") != "failing":
        fail("p50 < 1ms is not shown failing: %r" % th)
    if th.get("error_rate < 50%") != "holding":
        fail("error_rate < 50%% is not shown holding: %r" % th)
    seen["users_before"] = d.execute_script("return qvr.state().users")
    box = d.find_element(By.ID, "users-in")
    box.clear()
    box.send_keys("4")
    d.find_element(By.ID, "users-set").click()
    wait_for("the users change applied",
             lambda: d.find_element(By.ID, "ctl-msg").text == "done", 5)
    seen["change_window"] = d.execute_script("return qvr.windows().length")
    wait_for("a window with 4 users",
             lambda: d.execute_script(
                 "var w = qvr.windows(); return w[w.length - 1][6]") == 4, 5)
    d.save_screenshot(os.path.join(shots, "dashboard.png"))
    seen["shown_requests"] = int(d.find_element(By.ID, "requests").text)
    seen["max_window_requests"] = d.execute_script(
        "return Math.max.apply(null, qvr.windows().map("
        "function (w) { return Math.round(w[4] * qvr.state().window_s); }))")
    d.find_element(By.ID, "stop").click()
    wait_for("the page to show the drain",
             lambda: d.find_element(By.ID, "phase").text in ("drain", "done"),
             5)
    # ---- report.html from disk ----
    report = os.path.join(out_dir, "report.html")
    wait_for("summary.json and report.html",
             lambda: os.path.exists(os.path.join(out_dir, "summary.json"))
             and os.path.exists(report), 20)
    d.get_log("browser")  # the live page's lines are not the report's
    d.get("file://" + os.path.abspath(report))
    wait_for("the report drawn",
             lambda: d.execute_script("return qvr.points('latency')") > 0, 5)
    errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
    if errors:
        fail("report.html logged errors: %r" % errors)
    for c in ("latency", "throughput", "distribution", "collect"):
        seen["report_points_" + c] = d.execute_script(
            "return qvr.points(arguments[0])", c)
    seen["report_requests"] = int(d.find_element(By.ID, "requests").text)
    seen["report_failures"] = int(d.find_element(By.ID, "failures").text)
    seen["report_thresholds"] = threshold_states(d)
    seen["report_verdict"] = d.find_element(By.ID, "verdict").text
    d.save_screenshot(os.path.join(shots, "report.png"))
finally:
    d.quit()
print(json.dumps(seen))
