/*
 * ABI probe for tests/VduseAot.Interop.Tests: prints "KEY VALUE" lines describing the machine's
 * kernel uapi and libc headers, which AbiTests compares against the C# mirrors in
 * src/VduseAot.Interop. Keys:
 *   STRUCT@size                 sizeof(struct STRUCT)
 *   STRUCT.FIELD@offset         offsetof(struct STRUCT, c-member)
 *   STRUCT.FIELD@size           sizeof(c-member)
 *   NAME                        a macro or enum constant
 * FIELD is the C# field name; where C and C# spell a field differently (anonymous unions, nested
 * geometry, unused1[3]) the mapping is written out below. A value of MISSING means this header
 * lacks the item (an older kernel); the test skips C# keys equal to or below that key, unless the
 * item is core.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <errno.h>
#include <linux/ioctl.h>
#include <linux/vduse.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/vdpa.h>
#include <linux/taskstats.h>
#include <linux/vhost.h>
#include <linux/io_uring.h>
#include <linux/falloc.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>
#include <dirent.h>

#define MEMBER_SIZE(T, m) sizeof(((T *)0)->m)

/* sizeof(struct T), under the C# type name CS. */
#define SIZE(CS, T) printf("%s@size %zu\n", CS, sizeof(T))
/* A field whose C member designator is M and whose size is that of member SM (differs for unions). */
#define FIELD_AS(CS, CSF, T, M, SM) \
    printf("%s.%s@offset %zu\n%s.%s@size %zu\n", CS, CSF, (size_t)offsetof(T, M), CS, CSF, MEMBER_SIZE(T, SM))
/* A field spelled the same in C and C#. */
#define FIELD(CS, T, M) FIELD_AS(CS, #M, T, M, M)
/* An integer macro or enum constant. */
#define CONST(NAME) printf("%s %lld\n", #NAME, (long long)(NAME))
#define MISSING(KEY) printf("%s MISSING\n", KEY)

int main(void)
{
    /* ---- linux/vduse.h structs ---- */
#define S struct vduse_dev_config
    SIZE("vduse_dev_config", S);
    FIELD("vduse_dev_config", S, name);
    FIELD("vduse_dev_config", S, vendor_id);
    FIELD("vduse_dev_config", S, device_id);
    FIELD("vduse_dev_config", S, features);
    FIELD("vduse_dev_config", S, vq_num);
    FIELD("vduse_dev_config", S, vq_align);
    FIELD("vduse_dev_config", S, reserved);
    FIELD("vduse_dev_config", S, config_size);
#undef S

#define S struct vduse_iotlb_entry
    SIZE("vduse_iotlb_entry", S);
    FIELD("vduse_iotlb_entry", S, offset);
    FIELD("vduse_iotlb_entry", S, start);
    FIELD("vduse_iotlb_entry", S, last);
    FIELD("vduse_iotlb_entry", S, perm);
#undef S

#define S struct vduse_config_data
    SIZE("vduse_config_data", S);
    FIELD("vduse_config_data", S, offset);
    FIELD("vduse_config_data", S, length);
#undef S

#define S struct vduse_vq_config
    SIZE("vduse_vq_config", S);
    FIELD("vduse_vq_config", S, index);
    FIELD("vduse_vq_config", S, max_size);
    FIELD("vduse_vq_config", S, reserved);
#undef S

#define S struct vduse_vq_state_split
    SIZE("vduse_vq_state_split", S);
    FIELD("vduse_vq_state_split", S, avail_index);
#undef S

#define S struct vduse_vq_state_packed
    SIZE("vduse_vq_state_packed", S);
    FIELD("vduse_vq_state_packed", S, last_avail_counter);
    FIELD("vduse_vq_state_packed", S, last_avail_idx);
    FIELD("vduse_vq_state_packed", S, last_used_counter);
    FIELD("vduse_vq_state_packed", S, last_used_idx);
#undef S

    /* The anonymous union { split; packed; } is C# field `state`; its size is that of its largest member. */
#define S struct vduse_vq_info
    SIZE("vduse_vq_info", S);
    FIELD("vduse_vq_info", S, index);
    FIELD("vduse_vq_info", S, num);
    FIELD("vduse_vq_info", S, desc_addr);
    FIELD("vduse_vq_info", S, driver_addr);
    FIELD("vduse_vq_info", S, device_addr);
    FIELD_AS("vduse_vq_info", "state", S, split, packed);
    FIELD_AS("vduse_vq_info", "state.split", S, split, split);
    FIELD_AS("vduse_vq_info", "state.packed", S, packed, packed);
    FIELD("vduse_vq_info", S, ready);
#undef S

#define S struct vduse_vq_eventfd
    SIZE("vduse_vq_eventfd", S);
    FIELD("vduse_vq_eventfd", S, index);
    FIELD("vduse_vq_eventfd", S, fd);
#undef S

#ifdef VDUSE_IOTLB_REG_UMEM
#define S struct vduse_iova_umem
    SIZE("vduse_iova_umem", S);
    FIELD("vduse_iova_umem", S, uaddr);
    FIELD("vduse_iova_umem", S, iova);
    FIELD("vduse_iova_umem", S, size);
    FIELD("vduse_iova_umem", S, reserved);
#undef S
#else
    MISSING("vduse_iova_umem");
#endif

#ifdef VDUSE_IOTLB_GET_INFO
#define S struct vduse_iova_info
    SIZE("vduse_iova_info", S);
    FIELD("vduse_iova_info", S, start);
    FIELD("vduse_iova_info", S, last);
    FIELD("vduse_iova_info", S, capability);
    FIELD("vduse_iova_info", S, reserved);
#undef S
#else
    MISSING("vduse_iova_info");
#endif

#define S struct vduse_vq_state
    SIZE("vduse_vq_state", S);
    FIELD("vduse_vq_state", S, index);
    FIELD_AS("vduse_vq_state", "state", S, split, packed);
    FIELD_AS("vduse_vq_state", "state.split", S, split, split);
    FIELD_AS("vduse_vq_state", "state.packed", S, packed, packed);
#undef S

#define S struct vduse_iova_range
    SIZE("vduse_iova_range", S);
    FIELD("vduse_iova_range", S, start);
    FIELD("vduse_iova_range", S, last);
#undef S

    /* The anonymous union { vq_state; s; iova; padding[32]; } is C# field `payload`. */
#define S struct vduse_dev_request
    SIZE("vduse_dev_request", S);
    FIELD("vduse_dev_request", S, type);
    FIELD("vduse_dev_request", S, request_id);
    FIELD("vduse_dev_request", S, reserved);
    FIELD_AS("vduse_dev_request", "payload", S, vq_state, padding);
    FIELD_AS("vduse_dev_request", "payload.vq_state", S, vq_state, vq_state);
    FIELD_AS("vduse_dev_request", "payload.status", S, s.status, s.status);
    FIELD_AS("vduse_dev_request", "payload.iova", S, iova, iova);
#undef S

#define S struct vduse_dev_response
    SIZE("vduse_dev_response", S);
    FIELD("vduse_dev_response", S, request_id);
    FIELD("vduse_dev_response", S, result);
    FIELD("vduse_dev_response", S, reserved);
    FIELD_AS("vduse_dev_response", "payload", S, vq_state, padding);
    FIELD_AS("vduse_dev_response", "payload.vq_state", S, vq_state, vq_state);
#undef S

    /* ---- linux/virtio_ring.h, linux/virtio_blk.h structs ---- */
#define S struct vring_desc
    SIZE("vring_desc", S);
    FIELD("vring_desc", S, addr);
    FIELD("vring_desc", S, len);
    FIELD("vring_desc", S, flags);
    FIELD("vring_desc", S, next);
#undef S

#define S struct vring_avail
    SIZE("vring_avail", S);
    FIELD("vring_avail", S, flags);
    FIELD("vring_avail", S, idx);
#undef S

#define S struct vring_used_elem
    SIZE("vring_used_elem", S);
    FIELD("vring_used_elem", S, id);
    FIELD("vring_used_elem", S, len);
#undef S

#define S struct vring_used
    SIZE("vring_used", S);
    FIELD("vring_used", S, flags);
    FIELD("vring_used", S, idx);
#undef S

    /*
     * The C# struct stops at secure_erase_sector_alignment. Headers from 6.3 on append the zoned
     * block (added together with VIRTIO_BLK_F_ZONED); there the C# size must equal offsetof(zoned).
     */
#define S struct virtio_blk_config
#ifdef VIRTIO_BLK_F_ZONED
    printf("virtio_blk_config@size %zu\n", (size_t)offsetof(S, zoned));
#else
    SIZE("virtio_blk_config", S);
#endif
    FIELD("virtio_blk_config", S, capacity);
    FIELD("virtio_blk_config", S, size_max);
    FIELD("virtio_blk_config", S, seg_max);
    FIELD_AS("virtio_blk_config", "geometry_cylinders", S, geometry.cylinders, geometry.cylinders);
    FIELD_AS("virtio_blk_config", "geometry_heads", S, geometry.heads, geometry.heads);
    FIELD_AS("virtio_blk_config", "geometry_sectors", S, geometry.sectors, geometry.sectors);
    FIELD("virtio_blk_config", S, blk_size);
    FIELD("virtio_blk_config", S, physical_block_exp);
    FIELD("virtio_blk_config", S, alignment_offset);
    FIELD("virtio_blk_config", S, min_io_size);
    FIELD("virtio_blk_config", S, opt_io_size);
    FIELD("virtio_blk_config", S, wce);
    FIELD("virtio_blk_config", S, unused);
    FIELD("virtio_blk_config", S, num_queues);
    FIELD("virtio_blk_config", S, max_discard_sectors);
    FIELD("virtio_blk_config", S, max_discard_seg);
    FIELD("virtio_blk_config", S, discard_sector_alignment);
    FIELD("virtio_blk_config", S, max_write_zeroes_sectors);
    FIELD("virtio_blk_config", S, max_write_zeroes_seg);
    FIELD("virtio_blk_config", S, write_zeroes_may_unmap);
#ifdef VIRTIO_BLK_F_SECURE_ERASE
    FIELD_AS("virtio_blk_config", "unused1_0", S, unused1[0], unused1[0]);
    FIELD_AS("virtio_blk_config", "unused1_1", S, unused1[1], unused1[1]);
    FIELD_AS("virtio_blk_config", "unused1_2", S, unused1[2], unused1[2]);
    FIELD("virtio_blk_config", S, max_secure_erase_sectors);
    FIELD("virtio_blk_config", S, max_secure_erase_seg);
    FIELD("virtio_blk_config", S, secure_erase_sector_alignment);
#else
    MISSING("virtio_blk_config.unused1_0");
    MISSING("virtio_blk_config.unused1_1");
    MISSING("virtio_blk_config.unused1_2");
    MISSING("virtio_blk_config.max_secure_erase_sectors");
    MISSING("virtio_blk_config.max_secure_erase_seg");
    MISSING("virtio_blk_config.secure_erase_sector_alignment");
#endif
#undef S

#define S struct virtio_blk_outhdr
    SIZE("virtio_blk_outhdr", S);
    FIELD("virtio_blk_outhdr", S, type);
    FIELD("virtio_blk_outhdr", S, ioprio);
    FIELD("virtio_blk_outhdr", S, sector);
#undef S

#define S struct virtio_blk_discard_write_zeroes
    SIZE("virtio_blk_discard_write_zeroes", S);
    FIELD("virtio_blk_discard_write_zeroes", S, sector);
    FIELD("virtio_blk_discard_write_zeroes", S, num_sectors);
    FIELD("virtio_blk_discard_write_zeroes", S, flags);
#undef S

    /* ---- netlink and libc structs ---- */
#define S struct nlmsghdr
    SIZE("nlmsghdr", S);
    FIELD("nlmsghdr", S, nlmsg_len);
    FIELD("nlmsghdr", S, nlmsg_type);
    FIELD("nlmsghdr", S, nlmsg_flags);
    FIELD("nlmsghdr", S, nlmsg_seq);
    FIELD("nlmsghdr", S, nlmsg_pid);
#undef S

#define S struct genlmsghdr
    SIZE("genlmsghdr", S);
    FIELD("genlmsghdr", S, cmd);
    FIELD("genlmsghdr", S, version);
    FIELD("genlmsghdr", S, reserved);
#undef S

#define S struct nlattr
    SIZE("nlattr", S);
    FIELD("nlattr", S, nla_len);
    FIELD("nlattr", S, nla_type);
#undef S

#define S struct nlmsgerr
    SIZE("nlmsgerr", S);
    FIELD("nlmsgerr", S, error);
    FIELD("nlmsgerr", S, msg);
#undef S

#define S struct sockaddr_nl
    SIZE("sockaddr_nl", S);
    FIELD("sockaddr_nl", S, nl_family);
    FIELD("sockaddr_nl", S, nl_pad);
    FIELD("sockaddr_nl", S, nl_pid);
    FIELD("sockaddr_nl", S, nl_groups);
#undef S

    SIZE("cpu_set_t", cpu_set_t);
    CONST(CPU_SETSIZE);
    CONST(PR_SET_NAME);
    CONST(CLOCK_BOOTTIME);
    CONST(DT_DIR);

#define S struct vring_packed_desc
    SIZE("vring_packed_desc", S);
    FIELD("vring_packed_desc", S, addr);
    FIELD("vring_packed_desc", S, len);
    FIELD("vring_packed_desc", S, id);
    FIELD("vring_packed_desc", S, flags);
#undef S

#define S struct vring_packed_desc_event
    SIZE("vring_packed_desc_event", S);
    FIELD("vring_packed_desc_event", S, off_wrap);
    FIELD("vring_packed_desc_event", S, flags);
#undef S
    CONST(VRING_PACKED_DESC_F_AVAIL);
    CONST(VRING_PACKED_DESC_F_USED);
    CONST(VRING_PACKED_EVENT_FLAG_ENABLE);
    CONST(VRING_PACKED_EVENT_FLAG_DISABLE);
    CONST(VRING_PACKED_EVENT_FLAG_DESC);
    CONST(VRING_PACKED_EVENT_F_WRAP_CTR);

#define S struct stat
    SIZE("stat", S);
    FIELD("stat", S, st_mode);
    FIELD("stat", S, st_size);
#undef S

#define S struct statfs
    SIZE("statfs", S);
    FIELD("statfs", S, f_type);
#undef S

#define S struct pollfd
    SIZE("pollfd", S);
    FIELD("pollfd", S, fd);
    FIELD("pollfd", S, events);
    FIELD("pollfd", S, revents);
#undef S

    /* ---- linux/io_uring.h structs ---- */
    /*
     * Linux 6.5 renamed io_sqring_offsets.resv2 and io_cqring_offsets.resv2 to user_addr (with
     * IORING_SETUP_NO_MMAP); the C# mirrors keep the 6.1 name, so newer headers map user_addr to resv2.
     */
#ifdef IORING_SETUP_NO_MMAP
#define RING_RESV2 user_addr
#else
#define RING_RESV2 resv2
#endif
#define S struct io_sqring_offsets
    SIZE("io_sqring_offsets", S);
    FIELD("io_sqring_offsets", S, head);
    FIELD("io_sqring_offsets", S, tail);
    FIELD("io_sqring_offsets", S, ring_mask);
    FIELD("io_sqring_offsets", S, ring_entries);
    FIELD("io_sqring_offsets", S, flags);
    FIELD("io_sqring_offsets", S, dropped);
    FIELD("io_sqring_offsets", S, array);
    FIELD("io_sqring_offsets", S, resv1);
    FIELD_AS("io_sqring_offsets", "resv2", S, RING_RESV2, RING_RESV2);
#undef S

#define S struct io_cqring_offsets
    SIZE("io_cqring_offsets", S);
    FIELD("io_cqring_offsets", S, head);
    FIELD("io_cqring_offsets", S, tail);
    FIELD("io_cqring_offsets", S, ring_mask);
    FIELD("io_cqring_offsets", S, ring_entries);
    FIELD("io_cqring_offsets", S, overflow);
    FIELD("io_cqring_offsets", S, cqes);
    FIELD("io_cqring_offsets", S, flags);
    FIELD("io_cqring_offsets", S, resv1);
    FIELD_AS("io_cqring_offsets", "resv2", S, RING_RESV2, RING_RESV2);
#undef S
#undef RING_RESV2

#define S struct io_uring_params
    SIZE("io_uring_params", S);
    FIELD("io_uring_params", S, sq_entries);
    FIELD("io_uring_params", S, cq_entries);
    FIELD("io_uring_params", S, flags);
    FIELD("io_uring_params", S, sq_thread_cpu);
    FIELD("io_uring_params", S, sq_thread_idle);
    FIELD("io_uring_params", S, features);
    FIELD("io_uring_params", S, wq_fd);
    FIELD("io_uring_params", S, resv);
    FIELD("io_uring_params", S, sq_off);
    FIELD("io_uring_params", S, cq_off);
#undef S

    /* The C# struct declares the anonymous unions' members it uses as fields at the same offsets. */
#define S struct io_uring_sqe
    SIZE("io_uring_sqe", S);
    FIELD("io_uring_sqe", S, opcode);
    FIELD("io_uring_sqe", S, flags);
    FIELD("io_uring_sqe", S, ioprio);
    FIELD("io_uring_sqe", S, fd);
    FIELD("io_uring_sqe", S, off);
    FIELD("io_uring_sqe", S, addr2);
#ifdef IORING_SETUP_SQE128
    FIELD("io_uring_sqe", S, cmd_op);
#else
    MISSING("io_uring_sqe.cmd_op");
#endif
    FIELD("io_uring_sqe", S, addr);
    FIELD("io_uring_sqe", S, len);
    FIELD("io_uring_sqe", S, rw_flags);
    FIELD("io_uring_sqe", S, msg_flags);
    FIELD("io_uring_sqe", S, timeout_flags);
    FIELD("io_uring_sqe", S, fsync_flags);
    FIELD("io_uring_sqe", S, poll32_events);
    FIELD("io_uring_sqe", S, cancel_flags);
#ifdef IORING_URING_CMD_FIXED
    FIELD("io_uring_sqe", S, uring_cmd_flags);
#else
    MISSING("io_uring_sqe.uring_cmd_flags");
#endif
    FIELD("io_uring_sqe", S, user_data);
    FIELD("io_uring_sqe", S, buf_index);
    FIELD("io_uring_sqe", S, buf_group);
    FIELD("io_uring_sqe", S, personality);
    FIELD("io_uring_sqe", S, splice_fd_in);
    FIELD("io_uring_sqe", S, file_index);
    FIELD("io_uring_sqe", S, addr3);
#undef S

    /* With CQE32-capable headers cqe ends in a flexible big_cqe[], which sizeof does not count. */
#define S struct __kernel_timespec
    SIZE("__kernel_timespec", S);
    FIELD("__kernel_timespec", S, tv_sec);
    FIELD("__kernel_timespec", S, tv_nsec);
#undef S
#define S struct io_uring_cqe
    SIZE("io_uring_cqe", S);
    FIELD("io_uring_cqe", S, user_data);
    FIELD("io_uring_cqe", S, res);
    FIELD("io_uring_cqe", S, flags);
#undef S

#define S struct io_uring_probe_op
    SIZE("io_uring_probe_op", S);
    FIELD("io_uring_probe_op", S, op);
    FIELD("io_uring_probe_op", S, resv);
    FIELD("io_uring_probe_op", S, flags);
    FIELD("io_uring_probe_op", S, resv2);
#undef S

    /* sizeof excludes the flexible ops[] tail, as does the C# struct. */
#define S struct io_uring_probe
    SIZE("io_uring_probe", S);
    FIELD("io_uring_probe", S, last_op);
    FIELD("io_uring_probe", S, ops_len);
    FIELD("io_uring_probe", S, resv);
    FIELD("io_uring_probe", S, resv2);
    /* IoUring.Probe reads ops[] right after sizeof(struct io_uring_probe). */
    printf("io_uring_probe.ops@offset %zu\n", (size_t)offsetof(S, ops));
#undef S

#define S struct io_uring_files_update
    SIZE("io_uring_files_update", S);
    FIELD("io_uring_files_update", S, offset);
    FIELD("io_uring_files_update", S, resv);
    FIELD("io_uring_files_update", S, fds);
#undef S

#define S struct iovec
    SIZE("iovec", S);
    FIELD("iovec", S, iov_base);
    FIELD("iovec", S, iov_len);
#undef S

    /* ---- ioctl encoding (asm-generic/ioctl.h) ---- */
    CONST(_IOC_NONE);
    CONST(_IOC_WRITE);
    CONST(_IOC_READ);

    /* ---- VDUSE ioctls; each guarded so an older header reports it MISSING instead of failing ---- */
#ifdef VDUSE_GET_API_VERSION
    CONST(VDUSE_GET_API_VERSION);
#else
    MISSING("VDUSE_GET_API_VERSION");
#endif
#ifdef VDUSE_SET_API_VERSION
    CONST(VDUSE_SET_API_VERSION);
#else
    MISSING("VDUSE_SET_API_VERSION");
#endif
#ifdef VDUSE_CREATE_DEV
    CONST(VDUSE_CREATE_DEV);
#else
    MISSING("VDUSE_CREATE_DEV");
#endif
#ifdef VDUSE_DESTROY_DEV
    CONST(VDUSE_DESTROY_DEV);
#else
    MISSING("VDUSE_DESTROY_DEV");
#endif
#ifdef VDUSE_IOTLB_GET_FD
    CONST(VDUSE_IOTLB_GET_FD);
#else
    MISSING("VDUSE_IOTLB_GET_FD");
#endif
#ifdef VDUSE_DEV_GET_FEATURES
    CONST(VDUSE_DEV_GET_FEATURES);
#else
    MISSING("VDUSE_DEV_GET_FEATURES");
#endif
#ifdef VDUSE_DEV_SET_CONFIG
    CONST(VDUSE_DEV_SET_CONFIG);
#else
    MISSING("VDUSE_DEV_SET_CONFIG");
#endif
#ifdef VDUSE_DEV_INJECT_CONFIG_IRQ
    CONST(VDUSE_DEV_INJECT_CONFIG_IRQ);
#else
    MISSING("VDUSE_DEV_INJECT_CONFIG_IRQ");
#endif
#ifdef VDUSE_VQ_SETUP
    CONST(VDUSE_VQ_SETUP);
#else
    MISSING("VDUSE_VQ_SETUP");
#endif
#ifdef VDUSE_VQ_GET_INFO
    CONST(VDUSE_VQ_GET_INFO);
#else
    MISSING("VDUSE_VQ_GET_INFO");
#endif
#ifdef VDUSE_VQ_SETUP_KICKFD
    CONST(VDUSE_VQ_SETUP_KICKFD);
#else
    MISSING("VDUSE_VQ_SETUP_KICKFD");
#endif
#ifdef VDUSE_VQ_INJECT_IRQ
    CONST(VDUSE_VQ_INJECT_IRQ);
#else
    MISSING("VDUSE_VQ_INJECT_IRQ");
#endif
#ifdef VDUSE_IOTLB_REG_UMEM
    CONST(VDUSE_IOTLB_REG_UMEM);
#else
    MISSING("VDUSE_IOTLB_REG_UMEM");
#endif
#ifdef VDUSE_IOTLB_DEREG_UMEM
    CONST(VDUSE_IOTLB_DEREG_UMEM);
#else
    MISSING("VDUSE_IOTLB_DEREG_UMEM");
#endif
#ifdef VDUSE_IOTLB_GET_INFO
    CONST(VDUSE_IOTLB_GET_INFO);
#else
    MISSING("VDUSE_IOTLB_GET_INFO");
#endif

    /* ---- linux/vhost.h, linux/vhost_types.h: the tests' vhost-vdpa driver ---- */
#define S struct vhost_vring_state
    SIZE("vhost_vring_state", S);
    FIELD("vhost_vring_state", S, index);
    FIELD("vhost_vring_state", S, num);
#undef S
#define S struct vhost_vring_file
    SIZE("vhost_vring_file", S);
    FIELD("vhost_vring_file", S, index);
    FIELD("vhost_vring_file", S, fd);
#undef S
#define S struct vhost_vring_addr
    SIZE("vhost_vring_addr", S);
    FIELD("vhost_vring_addr", S, index);
    FIELD("vhost_vring_addr", S, flags);
    FIELD("vhost_vring_addr", S, desc_user_addr);
    FIELD("vhost_vring_addr", S, used_user_addr);
    FIELD("vhost_vring_addr", S, avail_user_addr);
    FIELD("vhost_vring_addr", S, log_guest_addr);
#undef S
#define S struct vhost_iotlb_msg
    SIZE("vhost_iotlb_msg", S);
    FIELD("vhost_iotlb_msg", S, iova);
    FIELD("vhost_iotlb_msg", S, size);
    FIELD("vhost_iotlb_msg", S, uaddr);
    FIELD("vhost_iotlb_msg", S, perm);
    FIELD("vhost_iotlb_msg", S, type);
#undef S
#define S struct vhost_msg_v2
    SIZE("vhost_msg_v2", S);
    FIELD("vhost_msg_v2", S, type);
    FIELD("vhost_msg_v2", S, asid);
    FIELD("vhost_msg_v2", S, iotlb);
#undef S
    CONST(VHOST_VIRTIO);
    CONST(VHOST_GET_FEATURES);
    CONST(VHOST_SET_FEATURES);
    CONST(VHOST_SET_OWNER);
    CONST(VHOST_SET_VRING_NUM);
    CONST(VHOST_SET_VRING_ADDR);
    CONST(VHOST_SET_VRING_BASE);
    CONST(VHOST_GET_VRING_BASE);
    CONST(VHOST_SET_VRING_KICK);
    CONST(VHOST_SET_VRING_CALL);
    CONST(VHOST_SET_BACKEND_FEATURES);
    CONST(VHOST_GET_BACKEND_FEATURES);
    CONST(VHOST_VDPA_GET_DEVICE_ID);
    CONST(VHOST_VDPA_GET_STATUS);
    CONST(VHOST_VDPA_SET_STATUS);
    CONST(VHOST_VDPA_SET_VRING_ENABLE);
    CONST(VHOST_VDPA_GET_VRING_NUM);
    CONST(VHOST_IOTLB_MSG_V2);
    CONST(VHOST_IOTLB_UPDATE);
    CONST(VHOST_IOTLB_INVALIDATE);
    CONST(VHOST_ACCESS_RO);
    CONST(VHOST_ACCESS_WO);
    CONST(VHOST_ACCESS_RW);
    CONST(VHOST_BACKEND_F_IOTLB_MSG_V2);

    /* ---- other VDUSE constants ---- */
    CONST(VDUSE_BASE);
    CONST(VDUSE_API_VERSION);
    CONST(VDUSE_NAME_MAX);
    CONST(VDUSE_GET_VQ_STATE);
    CONST(VDUSE_SET_STATUS);
    CONST(VDUSE_UPDATE_IOTLB);
    CONST(VDUSE_ACCESS_RO);
    CONST(VDUSE_ACCESS_WO);
    CONST(VDUSE_ACCESS_RW);
    CONST(VDUSE_REQ_RESULT_OK);
    CONST(VDUSE_REQ_RESULT_FAILED);
    CONST(VDUSE_EVENTFD_DEASSIGN);
#ifdef VDUSE_IOVA_CAP_UMEM
    CONST(VDUSE_IOVA_CAP_UMEM);
#else
    MISSING("VDUSE_IOVA_CAP_UMEM");
#endif

    /* ---- virtio ---- */
    CONST(VIRTIO_ID_BLOCK);
    CONST(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    CONST(VIRTIO_CONFIG_S_DRIVER);
    CONST(VIRTIO_CONFIG_S_DRIVER_OK);
    CONST(VIRTIO_CONFIG_S_FEATURES_OK);
    CONST(VIRTIO_CONFIG_S_NEEDS_RESET);
    CONST(VIRTIO_CONFIG_S_FAILED);
    CONST(VIRTIO_RING_F_INDIRECT_DESC);
    CONST(VIRTIO_RING_F_EVENT_IDX);
    CONST(VIRTIO_F_VERSION_1);
    CONST(VIRTIO_F_ACCESS_PLATFORM);
    CONST(VIRTIO_F_RING_PACKED);
    CONST(VRING_DESC_F_NEXT);
    CONST(VRING_DESC_F_WRITE);
    CONST(VRING_DESC_F_INDIRECT);
    CONST(VRING_USED_F_NO_NOTIFY);
    CONST(VRING_AVAIL_F_NO_INTERRUPT);

    /* ---- virtio-blk ---- */
    CONST(VIRTIO_BLK_F_SIZE_MAX);
    CONST(VIRTIO_BLK_F_SEG_MAX);
    CONST(VIRTIO_BLK_F_GEOMETRY);
    CONST(VIRTIO_BLK_F_RO);
    CONST(VIRTIO_BLK_F_BLK_SIZE);
    CONST(VIRTIO_BLK_F_FLUSH);
    CONST(VIRTIO_BLK_F_TOPOLOGY);
    CONST(VIRTIO_BLK_F_CONFIG_WCE);
    CONST(VIRTIO_BLK_F_MQ);
    CONST(VIRTIO_BLK_F_DISCARD);
    CONST(VIRTIO_BLK_F_WRITE_ZEROES);
    CONST(VIRTIO_BLK_T_IN);
    CONST(VIRTIO_BLK_T_OUT);
    CONST(VIRTIO_BLK_T_FLUSH);
    CONST(VIRTIO_BLK_T_GET_ID);
    CONST(VIRTIO_BLK_T_DISCARD);
    CONST(VIRTIO_BLK_T_WRITE_ZEROES);
    CONST(VIRTIO_BLK_S_OK);
    CONST(VIRTIO_BLK_S_IOERR);
    CONST(VIRTIO_BLK_S_UNSUPP);
    CONST(VIRTIO_BLK_ID_BYTES);

    /* ---- netlink, generic netlink, vdpa ---- */
    CONST(AF_NETLINK);
    CONST(NETLINK_GENERIC);
    CONST(NLM_F_REQUEST);
    CONST(NLM_F_ACK);
    CONST(NLMSG_ERROR);
    CONST(NLMSG_DONE);
    CONST(NLMSG_ALIGNTO);
    CONST(NLA_ALIGNTO);
    CONST(GENL_ID_CTRL);
    CONST(CTRL_CMD_GETFAMILY);
    CONST(CTRL_ATTR_FAMILY_ID);
    CONST(CTRL_ATTR_FAMILY_NAME);
    printf("VDPA_GENL_NAME %s\n", VDPA_GENL_NAME);
    CONST(VDPA_GENL_VERSION);
    CONST(VDPA_CMD_DEV_NEW);
    CONST(VDPA_CMD_DEV_DEL);
    CONST(VDPA_CMD_DEV_GET);
    CONST(VDPA_ATTR_MGMTDEV_BUS_NAME);
    CONST(VDPA_ATTR_MGMTDEV_DEV_NAME);
    CONST(VDPA_ATTR_DEV_NAME);
    printf("TASKSTATS_GENL_NAME %s\n", TASKSTATS_GENL_NAME);
    CONST(TASKSTATS_GENL_VERSION);
    CONST(TASKSTATS_CMD_GET);
    CONST(TASKSTATS_CMD_ATTR_PID);
    CONST(TASKSTATS_TYPE_STATS);
    CONST(TASKSTATS_TYPE_AGGR_PID);
    printf("TASKSTATS_AC_ETIME_OFFSET %zu\n", (size_t)offsetof(struct taskstats, ac_etime));

    /* ---- linux/io_uring.h constants; macros newer than 5.10 are guarded, enum values cannot be ---- */
    CONST(IORING_SETUP_IOPOLL);
    CONST(IORING_SETUP_SQPOLL);
    CONST(IORING_SETUP_SQ_AFF);
    CONST(IORING_SETUP_CQSIZE);
    CONST(IORING_SETUP_CLAMP);
    CONST(IORING_SETUP_ATTACH_WQ);
    CONST(IORING_SETUP_R_DISABLED);
#ifdef IORING_SETUP_SUBMIT_ALL
    CONST(IORING_SETUP_SUBMIT_ALL);
#else
    MISSING("IORING_SETUP_SUBMIT_ALL");
#endif
#ifdef IORING_SETUP_COOP_TASKRUN
    CONST(IORING_SETUP_COOP_TASKRUN);
    CONST(IORING_SETUP_TASKRUN_FLAG);
    CONST(IORING_SQ_TASKRUN);
#else
    MISSING("IORING_SETUP_COOP_TASKRUN");
    MISSING("IORING_SETUP_TASKRUN_FLAG");
    MISSING("IORING_SQ_TASKRUN");
#endif
#ifdef IORING_SETUP_SQE128
    CONST(IORING_SETUP_SQE128);
    CONST(IORING_SETUP_CQE32);
#else
    MISSING("IORING_SETUP_SQE128");
    MISSING("IORING_SETUP_CQE32");
#endif
#ifdef IORING_SETUP_SINGLE_ISSUER
    CONST(IORING_SETUP_SINGLE_ISSUER);
#else
    MISSING("IORING_SETUP_SINGLE_ISSUER");
#endif
#ifdef IORING_SETUP_DEFER_TASKRUN
    CONST(IORING_SETUP_DEFER_TASKRUN);
#else
    MISSING("IORING_SETUP_DEFER_TASKRUN");
#endif
    CONST(IORING_ENTER_GETEVENTS);
    CONST(IORING_ENTER_SQ_WAKEUP);
    CONST(IORING_ENTER_SQ_WAIT);
#ifdef IORING_ENTER_EXT_ARG
    CONST(IORING_ENTER_EXT_ARG);
#else
    MISSING("IORING_ENTER_EXT_ARG");
#endif
#ifdef IORING_ENTER_REGISTERED_RING
    CONST(IORING_ENTER_REGISTERED_RING);
#else
    MISSING("IORING_ENTER_REGISTERED_RING");
#endif
    CONST(IORING_OFF_SQ_RING);
    CONST(IORING_OFF_CQ_RING);
    CONST(IORING_OFF_SQES);
    CONST(IORING_FEAT_SINGLE_MMAP);
    CONST(IORING_FEAT_NODROP);
    CONST(IORING_FEAT_SUBMIT_STABLE);
    CONST(IORING_FEAT_RW_CUR_POS);
    CONST(IORING_FEAT_CUR_PERSONALITY);
    CONST(IORING_FEAT_FAST_POLL);
    CONST(IORING_FEAT_POLL_32BITS);
    CONST(IORING_FEAT_SQPOLL_NONFIXED);
#ifdef IORING_FEAT_EXT_ARG
    CONST(IORING_FEAT_EXT_ARG);
#else
    MISSING("IORING_FEAT_EXT_ARG");
#endif
#ifdef IORING_FEAT_NATIVE_WORKERS
    CONST(IORING_FEAT_NATIVE_WORKERS);
#else
    MISSING("IORING_FEAT_NATIVE_WORKERS");
#endif
    CONST(IORING_SQ_NEED_WAKEUP);
    CONST(IORING_SQ_CQ_OVERFLOW);
    CONST(IORING_OP_NOP);
    CONST(IORING_OP_READV);
    CONST(IORING_OP_WRITEV);
    CONST(IORING_OP_FSYNC);
    CONST(IORING_OP_READ_FIXED);
    CONST(IORING_OP_WRITE_FIXED);
    CONST(IORING_OP_POLL_ADD);
    CONST(IORING_OP_SENDMSG);
    CONST(IORING_OP_RECVMSG);
    CONST(IORING_OP_TIMEOUT);
    CONST(IORING_OP_ASYNC_CANCEL);
    CONST(IORING_OP_FALLOCATE);
    CONST(IORING_OP_READ);
    CONST(IORING_OP_WRITE);
    CONST(IORING_OP_SEND);
    CONST(IORING_OP_RECV);
    CONST(IORING_OP_SPLICE);
    CONST(IORING_OP_URING_CMD);
    CONST(IOSQE_FIXED_FILE);
    CONST(IOSQE_IO_DRAIN);
    CONST(IOSQE_IO_LINK);
    CONST(IOSQE_IO_HARDLINK);
    CONST(IOSQE_ASYNC);
    CONST(IOSQE_BUFFER_SELECT);
#ifdef IOSQE_CQE_SKIP_SUCCESS
    CONST(IOSQE_CQE_SKIP_SUCCESS);
#else
    MISSING("IOSQE_CQE_SKIP_SUCCESS");
#endif
    CONST(IORING_FSYNC_DATASYNC);
#ifdef IORING_ASYNC_CANCEL_ALL
    CONST(IORING_ASYNC_CANCEL_ALL);
#else
    MISSING("IORING_ASYNC_CANCEL_ALL");
#endif
    CONST(IORING_CQE_F_BUFFER);
    CONST(IORING_CQE_F_MORE);
    CONST(IORING_REGISTER_BUFFERS);
    CONST(IORING_UNREGISTER_BUFFERS);
    CONST(IORING_REGISTER_FILES);
    CONST(IORING_UNREGISTER_FILES);
    CONST(IORING_REGISTER_EVENTFD);
    CONST(IORING_UNREGISTER_EVENTFD);
    CONST(IORING_REGISTER_FILES_UPDATE);
    CONST(IORING_REGISTER_PROBE);
    CONST(IO_URING_OP_SUPPORTED);

    /* ---- libc ---- */
    CONST(O_RDONLY);
    CONST(O_WRONLY);
    CONST(O_RDWR);
    CONST(O_CREAT);
    CONST(O_NONBLOCK);
    CONST(O_CLOEXEC);
    CONST(O_DIRECT);
    CONST(S_IFMT);
    CONST(TMPFS_MAGIC);
    CONST(RAMFS_MAGIC);
    CONST(S_IFREG);
    CONST(S_IFBLK);
    CONST(BLKGETSIZE64);
    CONST(BLKSSZGET);
    CONST(BLKDISCARD);
    CONST(PROT_READ);
    CONST(PROT_WRITE);
    CONST(MAP_SHARED);
    CONST(MAP_PRIVATE);
    CONST(MAP_ANONYMOUS);
    CONST(MAP_NORESERVE);
    CONST(MAP_FIXED);
    CONST(PROT_NONE);
    CONST(MADV_REMOVE);
    CONST(MADV_NOHUGEPAGE);
    CONST(EFD_CLOEXEC);
    CONST(EFD_NONBLOCK);
    CONST(POLLIN);
    CONST(POLLERR);
    CONST(POLLHUP);
    CONST(SOCK_RAW);
    CONST(SOCK_CLOEXEC);
    CONST(SOL_SOCKET);
    CONST(SO_REUSEADDR);
    CONST(SO_RCVTIMEO);
#ifdef SYS_io_uring_setup
    CONST(SYS_io_uring_setup);
    CONST(SYS_io_uring_enter);
    CONST(SYS_io_uring_register);
#else
    MISSING("SYS_io_uring_setup");
    MISSING("SYS_io_uring_enter");
    MISSING("SYS_io_uring_register");
#endif
    CONST(SYS_sched_setscheduler);
    CONST(SCHED_IDLE);
    CONST(MAP_POPULATE);
    CONST(FALLOC_FL_KEEP_SIZE);
    CONST(FALLOC_FL_PUNCH_HOLE);
    CONST(FALLOC_FL_ZERO_RANGE);
    CONST(SPLICE_F_NONBLOCK);
    CONST(SPLICE_F_MORE);
    CONST(F_SETPIPE_SZ);

    /* ---- errno ---- */
    CONST(EPERM);
    CONST(ENOENT);
    CONST(EINTR);
    CONST(EIO);
    CONST(ENXIO);
    CONST(EBADF);
    CONST(EAGAIN);
    CONST(ENOMEM);
    CONST(EACCES);
    CONST(EFAULT);
    CONST(EBUSY);
    CONST(EEXIST);
    CONST(ENODEV);
    CONST(EINVAL);
    CONST(ENFILE);
    CONST(EMFILE);
    CONST(ENOSPC);
    CONST(ENOTTY);
    CONST(ENOSYS);
    CONST(EOPNOTSUPP);
    CONST(EROFS);
    CONST(ETIMEDOUT);
    CONST(EPIPE);
    CONST(ETIME);
    CONST(ENETUNREACH);
    CONST(ECONNRESET);
    CONST(ENOTCONN);
    CONST(ESHUTDOWN);
    CONST(ECONNREFUSED);
    CONST(EHOSTUNREACH);
    CONST(EINPROGRESS);
    CONST(ECANCELED);
    return 0;
}
