// Card times are shown in the workshop's zone, whatever the zone of the machine running the
// browser (node runs this with TZ=UTC from .ci/run's point of view: the zone is forced below).
import assert from "node:assert/strict";
import { test } from "node:test";

import { setTimeZone, timeLabel } from "../../static/board/dom.js";

test("un orario si legge nel fuso del laboratorio, non in quello del computer", () => {
  // 3 December 2026, 21:19 UTC = 22:19 in Rome (winter time).
  const ms = Date.UTC(2026, 11, 3, 21, 19);
  setTimeZone("Europe/Rome");
  assert.equal(timeLabel(ms), "22:19");
  // Summer time: 1 July 2026, 08:05 UTC = 10:05 in Rome.
  assert.equal(timeLabel(Date.UTC(2026, 6, 1, 8, 5)), "10:05");
  setTimeZone("UTC");
  assert.equal(timeLabel(ms), "21:19");
  setTimeZone("Europe/Rome");
  assert.equal(timeLabel(0), "");
});
