# expect: fail
# Runner self-test: a script's nonzero status must fail the run.
echo "this script fails on purpose with status 3"
exit 3
