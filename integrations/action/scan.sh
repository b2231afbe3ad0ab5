#!/usr/bin/env bash
# Runs the one scan of the GitHub Action (action.yml, step "scan"): every
# requested report comes from this run (--output plus --output-file), so
# there is no second scan and at most one evidence run (--record in args).
#
# Environment: SF_BIN, SF_PATHS, SF_FORMAT, SF_OUTPUT, SF_ARGS, SF_SUMMARY,
# SF_UPLOAD, RUNNER_TEMP, GITHUB_WORKSPACE, GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY.
# Outputs: exit-code; sarif-file (the SARIF to upload, "" when none).
set -uo pipefail

summary="$RUNNER_TEMP/sagefence-summary.md"
sarif=""
extra=()
rm -f "$summary"
if [ "$SF_SUMMARY" = "true" ]; then
  extra+=(--output-file "markdown=$summary")
fi
if [ "$SF_UPLOAD" = "true" ]; then
  if [ "$SF_FORMAT" = "sarif" ]; then
    sarif="$SF_OUTPUT"
  else
    sarif="$RUNNER_TEMP/sagefence.sarif"
    rm -f "$sarif"
    extra+=(--output-file "sarif=$sarif")
  fi
fi

# Word splitting of SF_PATHS and SF_ARGS is intended: several paths, several flags.
# shellcheck disable=SC2086
"$SF_BIN" scan $SF_PATHS --format "$SF_FORMAT" --output "$SF_OUTPUT" "${extra[@]}" $SF_ARGS
code=$?
echo "exit-code=$code" >> "$GITHUB_OUTPUT"

if [ "$SF_SUMMARY" = "true" ]; then
  if [ -s "$summary" ]; then
    cat "$summary" >> "$GITHUB_STEP_SUMMARY"
  else
    echo "sagefence exited $code before writing a report; see the step log." >> "$GITHUB_STEP_SUMMARY"
  fi
fi

if [ -n "$sarif" ]; then
  case "$sarif" in
    /*) abs="$sarif" ;;
    *) abs="$PWD/$sarif" ;;
  esac
  if [ ! -s "$abs" ]; then
    echo "::warning::sagefence: nothing to upload to code scanning: no SARIF report at $sarif (sagefence exited $code before writing it; see the errors above)"
    sarif=""
  else
    case "$abs" in
      "${GITHUB_WORKSPACE%/}"/*) ;;
      *) echo "sagefence: uploading $abs (outside the workspace ${GITHUB_WORKSPACE:-?}; upload-sarif reads it by its absolute path)" ;;
    esac
    sarif="$abs"
  fi
elif [ "$SF_UPLOAD" != "true" ]; then
  echo "sagefence: upload-sarif is false: nothing uploaded to code scanning"
fi
echo "sarif-file=$sarif" >> "$GITHUB_OUTPUT"
exit 0
