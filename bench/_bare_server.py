"""The baseline for the HTTP figure: a plain Litestar app whose one GET handler returns the same JSON.

Run as `python -m bench._bare_server PORT BODY_FILE`, under uvicorn exactly as `cap serve` runs ours
(default loop and HTTP implementation, no log config, access log off). The body file holds the JSON of
our `GET /api/v1/users/me` response; the handler returns it as the same `ProfileResponse` Struct, so both
servers serialise the same type to the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
import uvicorn
from litestar import Litestar, get

from entrypoints.http.schemas import ProfileResponse


def create_app(profile: ProfileResponse) -> Litestar:
    @get("/api/v1/users/me")
    async def me() -> ProfileResponse:
        return profile

    return Litestar([me])


def main() -> None:
    port = int(sys.argv[1])
    profile = msgspec.json.decode(Path(sys.argv[2]).read_bytes(), type=ProfileResponse)
    uvicorn.run(create_app(profile), host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
