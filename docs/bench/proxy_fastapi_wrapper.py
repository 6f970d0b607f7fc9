# The original suite's design, for comparison only: a FastAPI app forwarding /v1/* to one upstream
# with httpx (one uvicorn worker). Run with Debian's python3-fastapi, python3-uvicorn, python3-httpx:
#   UPSTREAM=http://127.0.0.1:8000/v1 /usr/bin/python3 proxy_fastapi_wrapper.py PORT
import os
import sys

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse

UPSTREAM = os.environ.get("UPSTREAM", "http://127.0.0.1:8000/v1")
app = FastAPI()
client = httpx.AsyncClient(base_url=UPSTREAM, timeout=300.0, limits=httpx.Limits(max_keepalive_connections=64))
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}


@app.api_route("/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
async def forward(path: str, request: Request):
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
    req = client.build_request(request.method, "/" + path, params=request.query_params, headers=headers,
                               content=await request.body())
    resp = await client.send(req, stream=True)
    out = {k: v for k, v in resp.headers.items() if k.lower() not in HOP}
    if resp.headers.get("content-type", "").startswith("text/event-stream"):
        return StreamingResponse(resp.aiter_raw(), status_code=resp.status_code, headers=out)
    body = await resp.aread()
    await resp.aclose()
    return Response(body, status_code=resp.status_code, headers=out)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), workers=1, log_level="warning", access_log=False)
