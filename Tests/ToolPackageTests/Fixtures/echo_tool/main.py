import json
import sys

request = json.load(sys.stdin)
message = request["message"]
if request.get("upper"):
    message = message.upper()
json.dump({"message": message}, sys.stdout)
