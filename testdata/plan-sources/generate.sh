#!/bin/sh
# Regenerates testdata/cases/plan-*/plan.json (and state.json) from the
# configurations in this folder with real Terraform and the offline AWS
# provider mirror. Run from the repository root:
#   testdata/plan-sources/generate.sh [/opt/tf-plugins]
# Each folder is copied to a temporary directory with a provider block that
# needs no credentials; a terraform.tfstate beside the configuration is the
# prior state (planned with -refresh=false). A folder without .tf files is a
# state: its terraform.tfstate is rendered with `terraform show -json`.
set -eu
plugins=${1:-${SAGEFENCE_TF_PLUGIN_DIR:-/opt/tf-plugins}}
src=$(cd "$(dirname "$0")" && pwd)
cases=$(cd "$src/../cases" && pwd)
for dir in "$src"/*/; do
	name=$(basename "$dir")
	tmp=$(mktemp -d)
	cp -R "$dir". "$tmp"
	cat > "$tmp/zz_provider.tf" <<'PROVIDER'
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAIOSFODNN7EXAMPLE"
  secret_key                  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
PROVIDER
	mkdir -p "$cases/plan-$name"
	(
		cd "$tmp"
		terraform init -input=false -no-color -plugin-dir "$plugins" >/dev/null
		if ls ./*.tf | grep -qv zz_provider.tf; then
			terraform plan -input=false -no-color -refresh=false -lock=false -out=tfplan >/dev/null
			terraform show -json tfplan >"$cases/plan-$name/plan.json"
		else
			terraform show -json terraform.tfstate >"$cases/plan-$name/state.json"
		fi
	)
	rm -rf "$tmp"
	echo "plan-$name"
done
