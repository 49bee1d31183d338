# expect: timeout
# timeout: 15
# Runner self-test: a script that never ends must be killed at the timeout.
echo "this script hangs on purpose"
while :; do
	sleep 1000
done
