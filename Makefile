# vrctx: one entry point. `make check` builds everything and runs the tests;
# `make demo` shows a short narrated session. See README.md.

KIND      ?= test
VMS       ?= 1
SCRIPT    ?=
TIMEOUT   ?= 300
T         ?=
TARGET    := x86_64-unknown-linux-gnu
VRCTL     := target/$(TARGET)/release/vrctl
VMRUN     := target/release/vmrun
KERNEL     = build/kernel-$(KIND)/arch/x86/boot/bzImage
INITRD     = build/initramfs-$(KIND).cpio.gz
export VRCTL

.PHONY: all deps kernel modules vrctl runner userland initramfs guest lint test-host \
	checkpatch check soak compat demo run-guest shell bench clean distclean help

all: guest

help:
	@echo "make check                 build everything, run every test (ends 'N passed, N failed')"
	@echo "make check T=43            build, then run only the tests whose name contains 43"
	@echo "make soak                  the long soak loops (qemu-tests/soak), not part of check"
	@echo "make compat                Linux's VRF selftest (fcnal-test.sh) with and without our modules: same results?"
	@echo "make demo                  two narrated sessions: contexts (2 VMs), one address on three machines (4 VMs)"
	@echo "make run-guest SCRIPT=f [VMS=n]  run your own script in n VMs on one L2 segment"
	@echo "make shell [VMS=n]         interactive guest on the serial console (Ctrl-A X quits)"
	@echo "make deps | kernel | modules | vrctl | initramfs [KIND=test|lean]"
	@echo "make bench                 lean kernel benchmarks"

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel.sh $(KIND)

modules: kernel
	@scripts/modules.sh $(KIND)

vrctl:
	@RUSTFLAGS='-C target-feature=+crt-static' cargo build -q --release --locked \
		--target $(TARGET) -p vrctl -p vrctx-probe -p dhostd

runner:
	@cargo build -q --release --locked -p vrctx-qemu-runner

userland: deps
	@scripts/guest-userland.sh

initramfs: modules vrctl userland
	@scripts/mkinitramfs.sh $(KIND)

guest: initramfs runner

lint: modules
	cargo fmt --all --check
	cargo clippy -q --locked --workspace --all-targets -- -D warnings
	@scripts/modules.sh $(KIND) --lint

test-host:
	cargo test -q --locked --workspace

checkpatch:
	@scripts/checkpatch.sh

check:
	@T='$(T)' scripts/check.sh

soak: guest
	@$(VMRUN) suite -j $$(nproc) --kernel $(KERNEL) --initrd $(INITRD) --log-dir build/soak-logs qemu-tests/soak

compat: guest
	@KIND=$(KIND) scripts/compat.sh

demo: guest
	@$(VMRUN) run --kernel $(KERNEL) --initrd $(INITRD) --vms 2 --timeout $(TIMEOUT) qemu-tests/demo.sh
	@$(VMRUN) run --kernel $(KERNEL) --initrd $(INITRD) --vms 4 --mem 768 --timeout 1200 qemu-tests/demo-cluster.sh

run-guest: guest
	@test -n "$(SCRIPT)" || { echo "usage: make run-guest SCRIPT=path [VMS=n]" >&2; exit 2; }
	@$(VMRUN) run --kernel $(KERNEL) --initrd $(INITRD) --vms $(VMS) --timeout $(TIMEOUT) $(SCRIPT)

shell: guest
	@$(VMRUN) shell --kernel $(KERNEL) --initrd $(INITRD) --vms $(VMS)

bench:
	@scripts/bench.sh

clean:
	rm -rf build/kernel-* build/mod-* build/modules-* build/initramfs-* target

distclean:
	rm -rf build target
