"""The tablet's tus client against the real server: a deferred-length upload whose length goes with
the last PATCH, and a 409 (another attempt moved the offset, its answer lost) handled by asking the
server's offset again with HEAD."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.browser.conftest import Scene, sign_in

TUS_JS = """async ({ inspectionId, clientId }) => {
  const tus = await import('/js/tus.js');
  const { authHeaders } = await import('/js/api.js');
  const headers = await authHeaders();
  const data = new Uint8Array(100000).map((_, i) => (i * 31) & 255);
  const url = await tus.createUpload('/api/uploads/', { length: null, headers,
    metadata: { inspection_id: inspectionId, phase: 'recount', client_id: clientId, filetype: 'video/mp4' } });
  const before = await tus.headUpload(url, { headers });
  let sneaked = false;
  const read = async (start, end) => {
    if (!sneaked) {
      // An earlier attempt got its first 1000 bytes in, and its answer was lost.
      sneaked = true;
      const r = await fetch(url, { method: 'PATCH', body: data.slice(0, 1000), headers: { ...headers,
        'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' } });
      if (r.status !== 204) throw new Error('sneaked PATCH ' + r.status);
    }
    return data.slice(start, end).buffer;
  };
  const offsets = [];
  const final = await tus.uploadBytes(url, { size: data.length, read, patchBytes: 32768, headers,
    deferred: true, onProgress: (o) => offsets.push(o) });
  const after = await tus.headUpload(url, { headers });
  return { url, before, final, after, offsets };
}"""


async def test_deferred_length_upload_resumes_after_a_409(context: Any, scene: Scene, db: Any) -> None:
    page = await context.new_page()
    await sign_in(page, scene.inspector)
    started = await scene.call(scene.inspector, "POST", f"/api/inspections/{scene.inspection_id}/start")
    assert started.status_code == 200, started.text
    client_id = "tus0deferred0test"
    out = await page.evaluate(TUS_JS, {"inspectionId": scene.inspection_id, "clientId": client_id})
    assert out["before"] == {"offset": 0, "length": None}
    assert out["final"] == 100000 and out["after"] == {"offset": 100000, "length": 100000}
    # The first PATCH at 0 got 409; HEAD said 1000; the next PATCH went on from there.
    assert out["offsets"] == [0, 1000 + 32768, 1000 + 2 * 32768, 1000 + 3 * 32768, 100000]
    row = await db.fetchrow("SELECT state, size, sha256 FROM uploads WHERE client_id = $1", client_id)
    data = bytes((i * 31) & 255 for i in range(100000))
    assert row["state"] == "complete" and row["size"] == 100000
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
