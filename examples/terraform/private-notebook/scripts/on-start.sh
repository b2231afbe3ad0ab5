#!/bin/bash
# Runs on every start: keep Jupyter idle-culling on and packages from the
# private mirror only.
set -euo pipefail
sudo -u ec2-user -i <<'INNER'
pip config set global.index-url https://pypi.internal.example.com/simple
INNER
