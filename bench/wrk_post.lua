-- wrk script for bench/burst.sh: POSTs one prebuilt Segment batch (the file named by
-- BATCH_FILE) to the receiver, over and over, to measure the receiver's own ceiling.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic YmVuY2gta2V5LTAwMDAwMDAwMDAwMDo="
local f = assert(io.open(os.getenv("BATCH_FILE"), "rb"), "BATCH_FILE: cannot open")
wrk.body = f:read("*a")
f:close()
