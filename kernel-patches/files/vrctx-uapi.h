/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Virtual router contexts (vrctx) and distributed host (dhost): the
 * numbers and names shared by the kernel, the vrctx/dhost modules and
 * vrctl. A context is a u32; 0 is the default context of every network
 * namespace and always exists.
 */
#ifndef _UAPI_LINUX_VRCTX_H
#define _UAPI_LINUX_VRCTX_H

#include <linux/types.h>

/* setsockopt(fd, SOL_IP, IP_VRCTX, &(__u32)ctx, sizeof(__u32)) */
#define IP_VRCTX		90

#define VRCTX_DEFAULT		0U
/* Largest valid context id. */
#define VRCTX_ID_MAX		0x7fffffffU
/* Context N (N > 0) routes with table VRCTX_TABLE_BASE + N. */
#define VRCTX_TABLE_BASE	0x80000000U
/* Context names: at most VRCTX_NAME_MAX - 1 bytes plus the NUL. */
#define VRCTX_NAME_MAX		16

/* Generic netlink family "vrctx". */
#define VRCTX_GENL_NAME		"vrctx"
#define VRCTX_GENL_VERSION	1
#define VRCTX_GENL_MCGRP_EVENTS	"events"

enum vrctx_cmd {
	VRCTX_CMD_UNSPEC,
	VRCTX_CMD_NEW,		/* create; also the "created" event */
	VRCTX_CMD_DEL,		/* delete; also the "deleted" event */
	VRCTX_CMD_GET,		/* get one (ID or NAME) or dump all */
	VRCTX_CMD_ASSIGN,	/* move IFINDEX into context ID */
	__VRCTX_CMD_MAX,
};
#define VRCTX_CMD_MAX (__VRCTX_CMD_MAX - 1)

enum vrctx_attr {
	VRCTX_A_UNSPEC,
	VRCTX_A_ID,		/* u32 */
	VRCTX_A_NAME,		/* NUL-terminated string, < VRCTX_NAME_MAX */
	VRCTX_A_TABLE,		/* u32, read-only */
	VRCTX_A_FORCE,		/* flag, for VRCTX_CMD_DEL */
	VRCTX_A_IFINDEX,	/* u32 */
	VRCTX_A_N_IFACES,	/* u32, read-only */
	VRCTX_A_N_SOCKETS,	/* u32, read-only */
	VRCTX_A_N_TASKS,	/* u32, read-only */
	__VRCTX_A_MAX,
};
#define VRCTX_A_MAX (__VRCTX_A_MAX - 1)

/* Generic netlink family "dhost" (distributed host). */
#define DHOST_GENL_NAME		"dhost"
#define DHOST_GENL_VERSION	1
#define DHOST_GENL_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_VRCTX_H */
