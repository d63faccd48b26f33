using System.Runtime.CompilerServices;
using Tmds.Linux;
using io_cqring_offsets = VduseAot.Interop.io_cqring_offsets;
using io_sqring_offsets = VduseAot.Interop.io_sqring_offsets;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_files_update = VduseAot.Interop.io_uring_files_update;
using io_uring_params = VduseAot.Interop.io_uring_params;
using io_uring_probe = VduseAot.Interop.io_uring_probe;
using io_uring_probe_op = VduseAot.Interop.io_uring_probe_op;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Interop.Tests;

/// <summary>
/// The C# values compared with abi_probe.c. Every struct mirrored in VduseAot.Interop is listed with
/// all its fields, and every constant under its C name; CSharpAbi reports members left out.
/// </summary>
internal static class AbiTable
{
    public static CSharpAbi Build()
    {
        var t = new CSharpAbi();
        Structs(t);
        Constants(t);
        return t;
    }

    private static void Structs(CSharpAbi t)
    {
        // linux/vduse.h
        t.Struct<vduse_dev_config>();
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.name));
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.vendor_id));
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.device_id));
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.features));
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.vq_num));
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.vq_align));
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.reserved));
        t.Field<vduse_dev_config>(nameof(vduse_dev_config.config_size));

        // linux/vhost_types.h
        t.Struct<vhost_vring_state>();
        t.Field<vhost_vring_state>(nameof(vhost_vring_state.index));
        t.Field<vhost_vring_state>(nameof(vhost_vring_state.num));
        t.Struct<vhost_vring_file>();
        t.Field<vhost_vring_file>(nameof(vhost_vring_file.index));
        t.Field<vhost_vring_file>(nameof(vhost_vring_file.fd));
        t.Struct<vhost_vring_addr>();
        t.Field<vhost_vring_addr>(nameof(vhost_vring_addr.index));
        t.Field<vhost_vring_addr>(nameof(vhost_vring_addr.flags));
        t.Field<vhost_vring_addr>(nameof(vhost_vring_addr.desc_user_addr));
        t.Field<vhost_vring_addr>(nameof(vhost_vring_addr.used_user_addr));
        t.Field<vhost_vring_addr>(nameof(vhost_vring_addr.avail_user_addr));
        t.Field<vhost_vring_addr>(nameof(vhost_vring_addr.log_guest_addr));
        t.Struct<vhost_iotlb_msg>();
        t.Field<vhost_iotlb_msg>(nameof(vhost_iotlb_msg.iova));
        t.Field<vhost_iotlb_msg>(nameof(vhost_iotlb_msg.size));
        t.Field<vhost_iotlb_msg>(nameof(vhost_iotlb_msg.uaddr));
        t.Field<vhost_iotlb_msg>(nameof(vhost_iotlb_msg.perm));
        t.Field<vhost_iotlb_msg>(nameof(vhost_iotlb_msg.type));
        t.Struct<vhost_msg_v2>();
        t.Field<vhost_msg_v2>(nameof(vhost_msg_v2.type));
        t.Field<vhost_msg_v2>(nameof(vhost_msg_v2.asid));
        t.Field<vhost_msg_v2>(nameof(vhost_msg_v2.iotlb));

        t.Struct<vduse_iotlb_entry>();
        t.Field<vduse_iotlb_entry>(nameof(vduse_iotlb_entry.offset));
        t.Field<vduse_iotlb_entry>(nameof(vduse_iotlb_entry.start));
        t.Field<vduse_iotlb_entry>(nameof(vduse_iotlb_entry.last));
        t.Field<vduse_iotlb_entry>(nameof(vduse_iotlb_entry.perm));

        t.Struct<vduse_config_data>();
        t.Field<vduse_config_data>(nameof(vduse_config_data.offset));
        t.Field<vduse_config_data>(nameof(vduse_config_data.length));

        t.Struct<vduse_vq_config>();
        t.Field<vduse_vq_config>(nameof(vduse_vq_config.index));
        t.Field<vduse_vq_config>(nameof(vduse_vq_config.max_size));
        t.Field<vduse_vq_config>(nameof(vduse_vq_config.reserved));

        t.Struct<vduse_vq_state_split>();
        t.Field<vduse_vq_state_split>(nameof(vduse_vq_state_split.avail_index));

        t.Struct<vduse_vq_state_packed>();
        t.Field<vduse_vq_state_packed>(nameof(vduse_vq_state_packed.last_avail_counter));
        t.Field<vduse_vq_state_packed>(nameof(vduse_vq_state_packed.last_avail_idx));
        t.Field<vduse_vq_state_packed>(nameof(vduse_vq_state_packed.last_used_counter));
        t.Field<vduse_vq_state_packed>(nameof(vduse_vq_state_packed.last_used_idx));

        // C's anonymous union { split; packed; } is the C# field `state` of type vduse_vq_state_union.
        t.Union<vduse_vq_state_union>();

        t.Struct<vduse_vq_info>();
        t.Field<vduse_vq_info>(nameof(vduse_vq_info.index));
        t.Field<vduse_vq_info>(nameof(vduse_vq_info.num));
        t.Field<vduse_vq_info>(nameof(vduse_vq_info.desc_addr));
        t.Field<vduse_vq_info>(nameof(vduse_vq_info.driver_addr));
        t.Field<vduse_vq_info>(nameof(vduse_vq_info.device_addr));
        t.Field<vduse_vq_info>(nameof(vduse_vq_info.state));
        t.UnionMember<vduse_vq_info, vduse_vq_state_union>(nameof(vduse_vq_info.state), nameof(vduse_vq_state_union.split));
        t.UnionMember<vduse_vq_info, vduse_vq_state_union>(nameof(vduse_vq_info.state), nameof(vduse_vq_state_union.packed));
        t.Field<vduse_vq_info>(nameof(vduse_vq_info.ready));

        t.Struct<vduse_vq_eventfd>();
        t.Field<vduse_vq_eventfd>(nameof(vduse_vq_eventfd.index));
        t.Field<vduse_vq_eventfd>(nameof(vduse_vq_eventfd.fd));

        t.Struct<vduse_iova_umem>();
        t.Field<vduse_iova_umem>(nameof(vduse_iova_umem.uaddr));
        t.Field<vduse_iova_umem>(nameof(vduse_iova_umem.iova));
        t.Field<vduse_iova_umem>(nameof(vduse_iova_umem.size));
        t.Field<vduse_iova_umem>(nameof(vduse_iova_umem.reserved));

        t.Struct<vduse_iova_info>();
        t.Field<vduse_iova_info>(nameof(vduse_iova_info.start));
        t.Field<vduse_iova_info>(nameof(vduse_iova_info.last));
        t.Field<vduse_iova_info>(nameof(vduse_iova_info.capability));
        t.Field<vduse_iova_info>(nameof(vduse_iova_info.reserved));

        t.Struct<vduse_vq_state>();
        t.Field<vduse_vq_state>(nameof(vduse_vq_state.index));
        t.Field<vduse_vq_state>(nameof(vduse_vq_state.state));
        t.UnionMember<vduse_vq_state, vduse_vq_state_union>(nameof(vduse_vq_state.state), nameof(vduse_vq_state_union.split));
        t.UnionMember<vduse_vq_state, vduse_vq_state_union>(nameof(vduse_vq_state.state), nameof(vduse_vq_state_union.packed));

        t.Struct<vduse_iova_range>();
        t.Field<vduse_iova_range>(nameof(vduse_iova_range.start));
        t.Field<vduse_iova_range>(nameof(vduse_iova_range.last));

        // C's anonymous union { vq_state; s; iova; padding[32]; } is the C# field `payload`; C's s.status is payload.status.
        t.Union<vduse_dev_request_payload>();
        t.Struct<vduse_dev_request>();
        t.Field<vduse_dev_request>(nameof(vduse_dev_request.type));
        t.Field<vduse_dev_request>(nameof(vduse_dev_request.request_id));
        t.Field<vduse_dev_request>(nameof(vduse_dev_request.reserved));
        t.Field<vduse_dev_request>(nameof(vduse_dev_request.payload));
        t.UnionMember<vduse_dev_request, vduse_dev_request_payload>(nameof(vduse_dev_request.payload), nameof(vduse_dev_request_payload.vq_state));
        t.UnionMember<vduse_dev_request, vduse_dev_request_payload>(nameof(vduse_dev_request.payload), nameof(vduse_dev_request_payload.status));
        t.UnionMember<vduse_dev_request, vduse_dev_request_payload>(nameof(vduse_dev_request.payload), nameof(vduse_dev_request_payload.iova));

        t.Union<vduse_dev_response_payload>();
        t.Struct<vduse_dev_response>();
        t.Field<vduse_dev_response>(nameof(vduse_dev_response.request_id));
        t.Field<vduse_dev_response>(nameof(vduse_dev_response.result));
        t.Field<vduse_dev_response>(nameof(vduse_dev_response.reserved));
        t.Field<vduse_dev_response>(nameof(vduse_dev_response.payload));
        t.UnionMember<vduse_dev_response, vduse_dev_response_payload>(nameof(vduse_dev_response.payload), nameof(vduse_dev_response_payload.vq_state));

        // linux/virtio_ring.h
        t.Struct<vring_desc>();
        t.Field<vring_desc>(nameof(vring_desc.addr));
        t.Field<vring_desc>(nameof(vring_desc.len));
        t.Field<vring_desc>(nameof(vring_desc.flags));
        t.Field<vring_desc>(nameof(vring_desc.next));

        t.Struct<vring_avail>();
        t.Field<vring_avail>(nameof(vring_avail.flags));
        t.Field<vring_avail>(nameof(vring_avail.idx));

        t.Struct<vring_used_elem>();
        t.Field<vring_used_elem>(nameof(vring_used_elem.id));
        t.Field<vring_used_elem>(nameof(vring_used_elem.len));

        t.Struct<vring_used>();
        t.Field<vring_used>(nameof(vring_used.flags));
        t.Field<vring_used>(nameof(vring_used.idx));

        // linux/virtio_blk.h: geometry.x is geometry_x, unused1[i] is unused1_i. With a header that has the
        // zoned fields, abi_probe.c reports offsetof(zoned) as the size.
        t.Struct<virtio_blk_config>();
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.capacity));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.size_max));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.seg_max));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.geometry_cylinders));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.geometry_heads));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.geometry_sectors));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.blk_size));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.physical_block_exp));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.alignment_offset));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.min_io_size));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.opt_io_size));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.wce));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.unused));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.num_queues));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.max_discard_sectors));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.max_discard_seg));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.discard_sector_alignment));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.max_write_zeroes_sectors));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.max_write_zeroes_seg));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.write_zeroes_may_unmap));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.unused1_0));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.unused1_1));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.unused1_2));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.max_secure_erase_sectors));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.max_secure_erase_seg));
        t.Field<virtio_blk_config>(nameof(virtio_blk_config.secure_erase_sector_alignment));

        t.Struct<virtio_blk_outhdr>();
        t.Field<virtio_blk_outhdr>(nameof(virtio_blk_outhdr.type));
        t.Field<virtio_blk_outhdr>(nameof(virtio_blk_outhdr.ioprio));
        t.Field<virtio_blk_outhdr>(nameof(virtio_blk_outhdr.sector));

        t.Struct<virtio_blk_discard_write_zeroes>();
        t.Field<virtio_blk_discard_write_zeroes>(nameof(virtio_blk_discard_write_zeroes.sector));
        t.Field<virtio_blk_discard_write_zeroes>(nameof(virtio_blk_discard_write_zeroes.num_sectors));
        t.Field<virtio_blk_discard_write_zeroes>(nameof(virtio_blk_discard_write_zeroes.flags));

        // linux/netlink.h, linux/genetlink.h
        t.Struct<nlmsghdr>();
        t.Field<nlmsghdr>(nameof(nlmsghdr.nlmsg_len));
        t.Field<nlmsghdr>(nameof(nlmsghdr.nlmsg_type));
        t.Field<nlmsghdr>(nameof(nlmsghdr.nlmsg_flags));
        t.Field<nlmsghdr>(nameof(nlmsghdr.nlmsg_seq));
        t.Field<nlmsghdr>(nameof(nlmsghdr.nlmsg_pid));

        t.Struct<genlmsghdr>();
        t.Field<genlmsghdr>(nameof(genlmsghdr.cmd));
        t.Field<genlmsghdr>(nameof(genlmsghdr.version));
        t.Field<genlmsghdr>(nameof(genlmsghdr.reserved));

        t.Struct<nlattr>();
        t.Field<nlattr>(nameof(nlattr.nla_len));
        t.Field<nlattr>(nameof(nlattr.nla_type));

        t.Struct<nlmsgerr>();
        t.Field<nlmsgerr>(nameof(nlmsgerr.error));
        t.Field<nlmsgerr>(nameof(nlmsgerr.msg));

        t.Struct<sockaddr_nl>();
        t.Field<sockaddr_nl>(nameof(sockaddr_nl.nl_family));
        t.Field<sockaddr_nl>(nameof(sockaddr_nl.nl_pad));
        t.Field<sockaddr_nl>(nameof(sockaddr_nl.nl_pid));
        t.Field<sockaddr_nl>(nameof(sockaddr_nl.nl_groups));

        // linux/io_uring.h. The C# sqe declares the anonymous unions' members it uses as explicit-offset
        // fields; each is compared with the C member of the same name.
        t.Struct<io_sqring_offsets>();
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.head));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.tail));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.ring_mask));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.ring_entries));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.flags));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.dropped));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.array));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.resv1));
        t.Field<io_sqring_offsets>(nameof(io_sqring_offsets.resv2));

        t.Struct<io_cqring_offsets>();
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.head));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.tail));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.ring_mask));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.ring_entries));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.overflow));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.cqes));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.flags));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.resv1));
        t.Field<io_cqring_offsets>(nameof(io_cqring_offsets.resv2));

        t.Struct<io_uring_params>();
        t.Field<io_uring_params>(nameof(io_uring_params.sq_entries));
        t.Field<io_uring_params>(nameof(io_uring_params.cq_entries));
        t.Field<io_uring_params>(nameof(io_uring_params.flags));
        t.Field<io_uring_params>(nameof(io_uring_params.sq_thread_cpu));
        t.Field<io_uring_params>(nameof(io_uring_params.sq_thread_idle));
        t.Field<io_uring_params>(nameof(io_uring_params.features));
        t.Field<io_uring_params>(nameof(io_uring_params.wq_fd));
        t.Field<io_uring_params>(nameof(io_uring_params.resv));
        t.Field<io_uring_params>(nameof(io_uring_params.sq_off));
        t.Field<io_uring_params>(nameof(io_uring_params.cq_off));

        t.Struct<io_uring_sqe>();
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.opcode));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.flags));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.ioprio));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.fd));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.off));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.addr2));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.cmd_op));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.addr));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.len));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.rw_flags));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.msg_flags));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.timeout_flags));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.fsync_flags));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.poll32_events));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.cancel_flags));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.uring_cmd_flags));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.user_data));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.buf_index));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.buf_group));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.personality));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.splice_fd_in));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.file_index));
        t.Field<io_uring_sqe>(nameof(io_uring_sqe.addr3));

        t.Struct<__kernel_timespec>();
        t.Field<__kernel_timespec>(nameof(__kernel_timespec.tv_sec));
        t.Field<__kernel_timespec>(nameof(__kernel_timespec.tv_nsec));

        t.Struct<io_uring_cqe>();
        t.Field<io_uring_cqe>(nameof(io_uring_cqe.user_data));
        t.Field<io_uring_cqe>(nameof(io_uring_cqe.res));
        t.Field<io_uring_cqe>(nameof(io_uring_cqe.flags));

        t.Struct<io_uring_probe_op>();
        t.Field<io_uring_probe_op>(nameof(io_uring_probe_op.op));
        t.Field<io_uring_probe_op>(nameof(io_uring_probe_op.resv));
        t.Field<io_uring_probe_op>(nameof(io_uring_probe_op.flags));
        t.Field<io_uring_probe_op>(nameof(io_uring_probe_op.resv2));

        // The flexible ops[] tail must start right after the C# struct, where IoUring.Probe reads it.
        t.Struct<io_uring_probe>();
        t.Field<io_uring_probe>(nameof(io_uring_probe.last_op));
        t.Field<io_uring_probe>(nameof(io_uring_probe.ops_len));
        t.Field<io_uring_probe>(nameof(io_uring_probe.resv));
        t.Field<io_uring_probe>(nameof(io_uring_probe.resv2));
        t.Const("io_uring_probe.ops@offset", Unsafe.SizeOf<io_uring_probe>());

        t.Struct<io_uring_files_update>();
        t.Field<io_uring_files_update>(nameof(io_uring_files_update.offset));
        t.Field<io_uring_files_update>(nameof(io_uring_files_update.resv));
        t.Field<io_uring_files_update>(nameof(io_uring_files_update.fds));

        // sys/uio.h
        // Tmds.LibC's structs: size and the members this code reads or writes (their other members are
        // not ours to cover).
        t.ForeignStruct<iovec>();
        t.Field<iovec>(nameof(iovec.iov_base));
        t.Field<iovec>(nameof(iovec.iov_len));

        // poll.h
        t.Struct<vring_packed_desc>();
        t.Field<vring_packed_desc>(nameof(vring_packed_desc.addr));
        t.Field<vring_packed_desc>(nameof(vring_packed_desc.len));
        t.Field<vring_packed_desc>(nameof(vring_packed_desc.id));
        t.Field<vring_packed_desc>(nameof(vring_packed_desc.flags));
        t.Struct<vring_packed_desc_event>();
        t.Field<vring_packed_desc_event>(nameof(vring_packed_desc_event.off_wrap));
        t.Field<vring_packed_desc_event>(nameof(vring_packed_desc_event.flags));
        t.ForeignStruct<cpu_set_t>();
        t.ForeignStruct<stat>();
        t.Field<stat>(nameof(stat.st_mode));
        t.Field<stat>(nameof(stat.st_size));
        t.Struct<statfs>();
        t.Field<statfs>(nameof(statfs.f_type));
        t.ForeignStruct<pollfd>();
        t.Field<pollfd>(nameof(pollfd.fd));
        t.Field<pollfd>(nameof(pollfd.events));
        t.Field<pollfd>(nameof(pollfd.revents));
    }

    private static void Constants(CSharpAbi t)
    {
        t.Constants(typeof(Ioctl));
        t.Constants(typeof(BlockIoctl));
        t.Constants(typeof(VduseUapi));
        t.Constants(typeof(VhostUapi));
        t.Constants(typeof(VirtioConstants));
        t.Constants(typeof(VirtioBlk));
        t.Constants(typeof(Netlink));
        t.Constants(typeof(Sys));
        t.Constants(typeof(Errno));
        t.Constants(typeof(IoUringUapi));

        t.Exclude("VirtioBlk.SECTOR_SIZE", "the virtio spec's fixed 512-byte sector; no uapi header defines it");
        t.Exclude("Errno.OK", "success, not an errno name");
        t.Exclude("Sys.MaxPassedFds", "our own bound on descriptors per SCM_RIGHTS message (a live upgrade passes five), not a kernel constant");

        // asm-generic/ioctl.h
        t.Const("_IOC_NONE", Ioctl.IOC_NONE);
        t.Const("_IOC_WRITE", Ioctl.IOC_WRITE);
        t.Const("_IOC_READ", Ioctl.IOC_READ);

        // linux/vduse.h ioctls
        t.ConstIoctl("VDUSE_GET_API_VERSION", VduseUapi.VDUSE_GET_API_VERSION);
        t.ConstIoctl("VDUSE_SET_API_VERSION", VduseUapi.VDUSE_SET_API_VERSION);
        t.ConstIoctl("VDUSE_CREATE_DEV", VduseUapi.VDUSE_CREATE_DEV);
        t.ConstIoctl("VDUSE_DESTROY_DEV", VduseUapi.VDUSE_DESTROY_DEV);
        t.ConstIoctl("VDUSE_IOTLB_GET_FD", VduseUapi.VDUSE_IOTLB_GET_FD);
        t.ConstIoctl("VDUSE_DEV_GET_FEATURES", VduseUapi.VDUSE_DEV_GET_FEATURES);
        t.ConstIoctl("VDUSE_DEV_SET_CONFIG", VduseUapi.VDUSE_DEV_SET_CONFIG);
        t.ConstIoctl("VDUSE_DEV_INJECT_CONFIG_IRQ", VduseUapi.VDUSE_DEV_INJECT_CONFIG_IRQ);
        t.ConstIoctl("VDUSE_VQ_SETUP", VduseUapi.VDUSE_VQ_SETUP);
        t.ConstIoctl("VDUSE_VQ_GET_INFO", VduseUapi.VDUSE_VQ_GET_INFO);
        t.ConstIoctl("VDUSE_VQ_SETUP_KICKFD", VduseUapi.VDUSE_VQ_SETUP_KICKFD);
        t.ConstIoctl("VDUSE_VQ_INJECT_IRQ", VduseUapi.VDUSE_VQ_INJECT_IRQ);
        t.ConstIoctl("VDUSE_IOTLB_REG_UMEM", VduseUapi.VDUSE_IOTLB_REG_UMEM);
        t.ConstIoctl("VDUSE_IOTLB_DEREG_UMEM", VduseUapi.VDUSE_IOTLB_DEREG_UMEM);
        t.ConstIoctl("VDUSE_IOTLB_GET_INFO", VduseUapi.VDUSE_IOTLB_GET_INFO);

        // linux/vduse.h other constants
        t.Const("VDUSE_BASE", VduseUapi.VDUSE_BASE);
        t.Const("VDUSE_API_VERSION", VduseUapi.VDUSE_API_VERSION);
        t.Const("VDUSE_NAME_MAX", vduse_dev_config.VDUSE_NAME_MAX);
        t.Const("VDUSE_GET_VQ_STATE", VduseUapi.VDUSE_GET_VQ_STATE);
        t.Const("VDUSE_SET_STATUS", VduseUapi.VDUSE_SET_STATUS);
        t.Const("VDUSE_UPDATE_IOTLB", VduseUapi.VDUSE_UPDATE_IOTLB);
        t.Const("VDUSE_ACCESS_RO", VduseUapi.VDUSE_ACCESS_RO);

        // linux/vhost.h
        t.Const("VHOST_VIRTIO", VhostUapi.VHOST_VIRTIO);
        t.ConstIoctl("VHOST_GET_FEATURES", VhostUapi.VHOST_GET_FEATURES);
        t.ConstIoctl("VHOST_SET_FEATURES", VhostUapi.VHOST_SET_FEATURES);
        t.ConstIoctl("VHOST_SET_OWNER", VhostUapi.VHOST_SET_OWNER);
        t.ConstIoctl("VHOST_SET_VRING_NUM", VhostUapi.VHOST_SET_VRING_NUM);
        t.ConstIoctl("VHOST_SET_VRING_ADDR", VhostUapi.VHOST_SET_VRING_ADDR);
        t.ConstIoctl("VHOST_SET_VRING_BASE", VhostUapi.VHOST_SET_VRING_BASE);
        t.ConstIoctl("VHOST_GET_VRING_BASE", VhostUapi.VHOST_GET_VRING_BASE);
        t.ConstIoctl("VHOST_SET_VRING_KICK", VhostUapi.VHOST_SET_VRING_KICK);
        t.ConstIoctl("VHOST_SET_VRING_CALL", VhostUapi.VHOST_SET_VRING_CALL);
        t.ConstIoctl("VHOST_SET_BACKEND_FEATURES", VhostUapi.VHOST_SET_BACKEND_FEATURES);
        t.ConstIoctl("VHOST_GET_BACKEND_FEATURES", VhostUapi.VHOST_GET_BACKEND_FEATURES);
        t.ConstIoctl("VHOST_VDPA_GET_DEVICE_ID", VhostUapi.VHOST_VDPA_GET_DEVICE_ID);
        t.ConstIoctl("VHOST_VDPA_GET_STATUS", VhostUapi.VHOST_VDPA_GET_STATUS);
        t.ConstIoctl("VHOST_VDPA_SET_STATUS", VhostUapi.VHOST_VDPA_SET_STATUS);
        t.ConstIoctl("VHOST_VDPA_SET_VRING_ENABLE", VhostUapi.VHOST_VDPA_SET_VRING_ENABLE);
        t.ConstIoctl("VHOST_VDPA_GET_VRING_NUM", VhostUapi.VHOST_VDPA_GET_VRING_NUM);
        t.Const("VHOST_IOTLB_MSG_V2", VhostUapi.VHOST_IOTLB_MSG_V2);
        t.Const("VHOST_IOTLB_UPDATE", VhostUapi.VHOST_IOTLB_UPDATE);
        t.Const("VHOST_IOTLB_INVALIDATE", VhostUapi.VHOST_IOTLB_INVALIDATE);
        t.Const("VHOST_ACCESS_RO", VhostUapi.VHOST_ACCESS_RO);
        t.Const("VHOST_ACCESS_WO", VhostUapi.VHOST_ACCESS_WO);
        t.Const("VHOST_ACCESS_RW", VhostUapi.VHOST_ACCESS_RW);
        t.Const("VHOST_BACKEND_F_IOTLB_MSG_V2", VhostUapi.VHOST_BACKEND_F_IOTLB_MSG_V2);
        t.Const("VDUSE_ACCESS_WO", VduseUapi.VDUSE_ACCESS_WO);
        t.Const("VDUSE_ACCESS_RW", VduseUapi.VDUSE_ACCESS_RW);
        t.Const("VDUSE_REQ_RESULT_OK", vduse_dev_response.VDUSE_REQ_RESULT_OK);
        t.Const("VDUSE_REQ_RESULT_FAILED", vduse_dev_response.VDUSE_REQ_RESULT_FAILED);
        t.Const("VDUSE_EVENTFD_DEASSIGN", vduse_vq_eventfd.VDUSE_EVENTFD_DEASSIGN);
        t.Const("VDUSE_IOVA_CAP_UMEM", vduse_iova_info.VDUSE_IOVA_CAP_UMEM);

        // linux/virtio_ids.h, virtio_config.h, virtio_ring.h
        t.Const("VIRTIO_ID_BLOCK", VirtioConstants.VIRTIO_ID_BLOCK);
        t.Const("VIRTIO_CONFIG_S_ACKNOWLEDGE", VirtioConstants.VIRTIO_CONFIG_S_ACKNOWLEDGE);
        t.Const("VIRTIO_CONFIG_S_DRIVER", VirtioConstants.VIRTIO_CONFIG_S_DRIVER);
        t.Const("VIRTIO_CONFIG_S_DRIVER_OK", VirtioConstants.VIRTIO_CONFIG_S_DRIVER_OK);
        t.Const("VIRTIO_CONFIG_S_FEATURES_OK", VirtioConstants.VIRTIO_CONFIG_S_FEATURES_OK);
        t.Const("VIRTIO_CONFIG_S_NEEDS_RESET", VirtioConstants.VIRTIO_CONFIG_S_NEEDS_RESET);
        t.Const("VIRTIO_CONFIG_S_FAILED", VirtioConstants.VIRTIO_CONFIG_S_FAILED);
        t.Const("VIRTIO_RING_F_INDIRECT_DESC", VirtioConstants.VIRTIO_RING_F_INDIRECT_DESC);
        t.Const("VIRTIO_RING_F_EVENT_IDX", VirtioConstants.VIRTIO_RING_F_EVENT_IDX);
        t.Const("VIRTIO_F_VERSION_1", VirtioConstants.VIRTIO_F_VERSION_1);
        t.Const("VIRTIO_F_ACCESS_PLATFORM", VirtioConstants.VIRTIO_F_ACCESS_PLATFORM);
        t.Const("VIRTIO_F_RING_PACKED", VirtioConstants.VIRTIO_F_RING_PACKED);
        t.Const("VRING_DESC_F_NEXT", VirtioConstants.VRING_DESC_F_NEXT);
        t.Const("VRING_DESC_F_WRITE", VirtioConstants.VRING_DESC_F_WRITE);
        t.Const("VRING_DESC_F_INDIRECT", VirtioConstants.VRING_DESC_F_INDIRECT);
        t.Const("VRING_USED_F_NO_NOTIFY", VirtioConstants.VRING_USED_F_NO_NOTIFY);
        t.Const("VRING_AVAIL_F_NO_INTERRUPT", VirtioConstants.VRING_AVAIL_F_NO_INTERRUPT);

        // linux/virtio_blk.h
        t.Const("VIRTIO_BLK_F_SIZE_MAX", VirtioBlk.VIRTIO_BLK_F_SIZE_MAX);
        t.Const("VIRTIO_BLK_F_SEG_MAX", VirtioBlk.VIRTIO_BLK_F_SEG_MAX);
        t.Const("VIRTIO_BLK_F_GEOMETRY", VirtioBlk.VIRTIO_BLK_F_GEOMETRY);
        t.Const("VIRTIO_BLK_F_RO", VirtioBlk.VIRTIO_BLK_F_RO);
        t.Const("VIRTIO_BLK_F_BLK_SIZE", VirtioBlk.VIRTIO_BLK_F_BLK_SIZE);
        t.Const("VIRTIO_BLK_F_FLUSH", VirtioBlk.VIRTIO_BLK_F_FLUSH);
        t.Const("VIRTIO_BLK_F_TOPOLOGY", VirtioBlk.VIRTIO_BLK_F_TOPOLOGY);
        t.Const("VIRTIO_BLK_F_CONFIG_WCE", VirtioBlk.VIRTIO_BLK_F_CONFIG_WCE);
        t.Const("VIRTIO_BLK_F_MQ", VirtioBlk.VIRTIO_BLK_F_MQ);
        t.Const("VIRTIO_BLK_F_DISCARD", VirtioBlk.VIRTIO_BLK_F_DISCARD);
        t.Const("VIRTIO_BLK_F_WRITE_ZEROES", VirtioBlk.VIRTIO_BLK_F_WRITE_ZEROES);
        t.Const("VIRTIO_BLK_T_IN", VirtioBlk.VIRTIO_BLK_T_IN);
        t.Const("VIRTIO_BLK_T_OUT", VirtioBlk.VIRTIO_BLK_T_OUT);
        t.Const("VIRTIO_BLK_T_FLUSH", VirtioBlk.VIRTIO_BLK_T_FLUSH);
        t.Const("VIRTIO_BLK_T_GET_ID", VirtioBlk.VIRTIO_BLK_T_GET_ID);
        t.Const("VIRTIO_BLK_T_DISCARD", VirtioBlk.VIRTIO_BLK_T_DISCARD);
        t.Const("VIRTIO_BLK_T_WRITE_ZEROES", VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES);
        t.Const("VIRTIO_BLK_S_OK", VirtioBlk.VIRTIO_BLK_S_OK);
        t.Const("VIRTIO_BLK_S_IOERR", VirtioBlk.VIRTIO_BLK_S_IOERR);
        t.Const("VIRTIO_BLK_S_UNSUPP", VirtioBlk.VIRTIO_BLK_S_UNSUPP);
        t.Const("VIRTIO_BLK_ID_BYTES", VirtioBlk.VIRTIO_BLK_ID_BYTES);

        // linux/netlink.h, linux/genetlink.h, linux/vdpa.h
        t.Const("AF_NETLINK", (int)LibC.AF_NETLINK);
        t.Const("NETLINK_GENERIC", Netlink.NETLINK_GENERIC);
        t.Const("NLM_F_REQUEST", Netlink.NLM_F_REQUEST);
        t.Const("NLM_F_ACK", Netlink.NLM_F_ACK);
        t.Const("NLMSG_ERROR", Netlink.NLMSG_ERROR);
        t.Const("NLMSG_DONE", Netlink.NLMSG_DONE);
        t.Const("NLMSG_ALIGNTO", Netlink.NLMSG_ALIGNTO);
        t.Const("NLA_ALIGNTO", Netlink.NLMSG_ALIGNTO);
        t.Const("GENL_ID_CTRL", Netlink.GENL_ID_CTRL);
        t.Const("CTRL_CMD_GETFAMILY", Netlink.CTRL_CMD_GETFAMILY);
        t.Const("CTRL_ATTR_FAMILY_ID", Netlink.CTRL_ATTR_FAMILY_ID);
        t.Const("CTRL_ATTR_FAMILY_NAME", Netlink.CTRL_ATTR_FAMILY_NAME);
        t.Const("VDPA_GENL_NAME", Netlink.VDPA_GENL_NAME);
        t.Const("VDPA_GENL_VERSION", Netlink.VDPA_GENL_VERSION);
        t.Const("VDPA_CMD_DEV_NEW", Netlink.VDPA_CMD_DEV_NEW);
        t.Const("VDPA_CMD_DEV_DEL", Netlink.VDPA_CMD_DEV_DEL);
        t.Const("VDPA_CMD_DEV_GET", Netlink.VDPA_CMD_DEV_GET);
        t.Const("VDPA_ATTR_MGMTDEV_BUS_NAME", Netlink.VDPA_ATTR_MGMTDEV_BUS_NAME);
        t.Const("VDPA_ATTR_MGMTDEV_DEV_NAME", Netlink.VDPA_ATTR_MGMTDEV_DEV_NAME);
        t.Const("VDPA_ATTR_DEV_NAME", Netlink.VDPA_ATTR_DEV_NAME);
        t.Const("TASKSTATS_GENL_NAME", Netlink.TASKSTATS_GENL_NAME);
        t.Const("TASKSTATS_GENL_VERSION", Netlink.TASKSTATS_GENL_VERSION);
        t.Const("TASKSTATS_CMD_GET", Netlink.TASKSTATS_CMD_GET);
        t.Const("TASKSTATS_CMD_ATTR_PID", Netlink.TASKSTATS_CMD_ATTR_PID);
        t.Const("TASKSTATS_TYPE_STATS", Netlink.TASKSTATS_TYPE_STATS);
        t.Const("TASKSTATS_TYPE_AGGR_PID", Netlink.TASKSTATS_TYPE_AGGR_PID);
        t.Const("TASKSTATS_AC_ETIME_OFFSET", Netlink.TASKSTATS_AC_ETIME_OFFSET);

        // linux/io_uring.h
        t.Const("IORING_SETUP_IOPOLL", IoUringUapi.IORING_SETUP_IOPOLL);
        t.Const("IORING_SETUP_SQPOLL", IoUringUapi.IORING_SETUP_SQPOLL);
        t.Const("IORING_SETUP_SQ_AFF", IoUringUapi.IORING_SETUP_SQ_AFF);
        t.Const("IORING_SETUP_CQSIZE", IoUringUapi.IORING_SETUP_CQSIZE);
        t.Const("IORING_SETUP_CLAMP", IoUringUapi.IORING_SETUP_CLAMP);
        t.Const("IORING_SETUP_ATTACH_WQ", IoUringUapi.IORING_SETUP_ATTACH_WQ);
        t.Const("IORING_SETUP_R_DISABLED", IoUringUapi.IORING_SETUP_R_DISABLED);
        t.Const("IORING_SETUP_SUBMIT_ALL", IoUringUapi.IORING_SETUP_SUBMIT_ALL);
        t.Const("IORING_SETUP_COOP_TASKRUN", IoUringUapi.IORING_SETUP_COOP_TASKRUN);
        t.Const("IORING_SETUP_TASKRUN_FLAG", IoUringUapi.IORING_SETUP_TASKRUN_FLAG);
        t.Const("IORING_SETUP_SQE128", IoUringUapi.IORING_SETUP_SQE128);
        t.Const("IORING_SETUP_CQE32", IoUringUapi.IORING_SETUP_CQE32);
        t.Const("IORING_SETUP_SINGLE_ISSUER", IoUringUapi.IORING_SETUP_SINGLE_ISSUER);
        t.Const("IORING_SETUP_DEFER_TASKRUN", IoUringUapi.IORING_SETUP_DEFER_TASKRUN);
        t.Const("IORING_ENTER_GETEVENTS", IoUringUapi.IORING_ENTER_GETEVENTS);
        t.Const("IORING_ENTER_SQ_WAKEUP", IoUringUapi.IORING_ENTER_SQ_WAKEUP);
        t.Const("IORING_ENTER_SQ_WAIT", IoUringUapi.IORING_ENTER_SQ_WAIT);
        t.Const("IORING_ENTER_EXT_ARG", IoUringUapi.IORING_ENTER_EXT_ARG);
        t.Const("IORING_ENTER_REGISTERED_RING", IoUringUapi.IORING_ENTER_REGISTERED_RING);
        t.Const("IORING_OFF_SQ_RING", IoUringUapi.IORING_OFF_SQ_RING);
        t.Const("IORING_OFF_CQ_RING", IoUringUapi.IORING_OFF_CQ_RING);
        t.Const("IORING_OFF_SQES", IoUringUapi.IORING_OFF_SQES);
        t.Const("IORING_FEAT_SINGLE_MMAP", IoUringUapi.IORING_FEAT_SINGLE_MMAP);
        t.Const("IORING_FEAT_NODROP", IoUringUapi.IORING_FEAT_NODROP);
        t.Const("IORING_FEAT_SUBMIT_STABLE", IoUringUapi.IORING_FEAT_SUBMIT_STABLE);
        t.Const("IORING_FEAT_RW_CUR_POS", IoUringUapi.IORING_FEAT_RW_CUR_POS);
        t.Const("IORING_FEAT_CUR_PERSONALITY", IoUringUapi.IORING_FEAT_CUR_PERSONALITY);
        t.Const("IORING_FEAT_FAST_POLL", IoUringUapi.IORING_FEAT_FAST_POLL);
        t.Const("IORING_FEAT_POLL_32BITS", IoUringUapi.IORING_FEAT_POLL_32BITS);
        t.Const("IORING_FEAT_SQPOLL_NONFIXED", IoUringUapi.IORING_FEAT_SQPOLL_NONFIXED);
        t.Const("IORING_FEAT_EXT_ARG", IoUringUapi.IORING_FEAT_EXT_ARG);
        t.Const("IORING_FEAT_NATIVE_WORKERS", IoUringUapi.IORING_FEAT_NATIVE_WORKERS);
        t.Const("IORING_SQ_NEED_WAKEUP", IoUringUapi.IORING_SQ_NEED_WAKEUP);
        t.Const("IORING_SQ_CQ_OVERFLOW", IoUringUapi.IORING_SQ_CQ_OVERFLOW);
        t.Const("IORING_SQ_TASKRUN", IoUringUapi.IORING_SQ_TASKRUN);
        t.Const("IORING_OP_NOP", IoUringUapi.IORING_OP_NOP);
        t.Const("IORING_OP_READV", IoUringUapi.IORING_OP_READV);
        t.Const("IORING_OP_WRITEV", IoUringUapi.IORING_OP_WRITEV);
        t.Const("IORING_OP_FSYNC", IoUringUapi.IORING_OP_FSYNC);
        t.Const("IORING_OP_READ_FIXED", IoUringUapi.IORING_OP_READ_FIXED);
        t.Const("IORING_OP_WRITE_FIXED", IoUringUapi.IORING_OP_WRITE_FIXED);
        t.Const("IORING_OP_POLL_ADD", IoUringUapi.IORING_OP_POLL_ADD);
        t.Const("IORING_OP_SENDMSG", IoUringUapi.IORING_OP_SENDMSG);
        t.Const("IORING_OP_RECVMSG", IoUringUapi.IORING_OP_RECVMSG);
        t.Const("IORING_OP_TIMEOUT", IoUringUapi.IORING_OP_TIMEOUT);
        t.Const("IORING_OP_ASYNC_CANCEL", IoUringUapi.IORING_OP_ASYNC_CANCEL);
        t.Const("IORING_OP_FALLOCATE", IoUringUapi.IORING_OP_FALLOCATE);
        t.Const("IORING_OP_READ", IoUringUapi.IORING_OP_READ);
        t.Const("IORING_OP_WRITE", IoUringUapi.IORING_OP_WRITE);
        t.Const("IORING_OP_SEND", IoUringUapi.IORING_OP_SEND);
        t.Const("IORING_OP_RECV", IoUringUapi.IORING_OP_RECV);
        t.Const("IORING_OP_SPLICE", IoUringUapi.IORING_OP_SPLICE);
        t.Const("IORING_OP_URING_CMD", IoUringUapi.IORING_OP_URING_CMD);
        t.Const("IOSQE_FIXED_FILE", IoUringUapi.IOSQE_FIXED_FILE);
        t.Const("IOSQE_IO_DRAIN", IoUringUapi.IOSQE_IO_DRAIN);
        t.Const("IOSQE_IO_LINK", IoUringUapi.IOSQE_IO_LINK);
        t.Const("IOSQE_IO_HARDLINK", IoUringUapi.IOSQE_IO_HARDLINK);
        t.Const("IOSQE_ASYNC", IoUringUapi.IOSQE_ASYNC);
        t.Const("IOSQE_BUFFER_SELECT", IoUringUapi.IOSQE_BUFFER_SELECT);
        t.Const("IOSQE_CQE_SKIP_SUCCESS", IoUringUapi.IOSQE_CQE_SKIP_SUCCESS);
        t.Const("IORING_FSYNC_DATASYNC", IoUringUapi.IORING_FSYNC_DATASYNC);
        t.Const("IORING_ASYNC_CANCEL_ALL", IoUringUapi.IORING_ASYNC_CANCEL_ALL);
        t.Const("IORING_CQE_F_BUFFER", IoUringUapi.IORING_CQE_F_BUFFER);
        t.Const("IORING_CQE_F_MORE", IoUringUapi.IORING_CQE_F_MORE);
        t.Const("IORING_REGISTER_BUFFERS", IoUringUapi.IORING_REGISTER_BUFFERS);
        t.Const("IORING_UNREGISTER_BUFFERS", IoUringUapi.IORING_UNREGISTER_BUFFERS);
        t.Const("IORING_REGISTER_FILES", IoUringUapi.IORING_REGISTER_FILES);
        t.Const("IORING_UNREGISTER_FILES", IoUringUapi.IORING_UNREGISTER_FILES);
        t.Const("IORING_REGISTER_EVENTFD", IoUringUapi.IORING_REGISTER_EVENTFD);
        t.Const("IORING_UNREGISTER_EVENTFD", IoUringUapi.IORING_UNREGISTER_EVENTFD);
        t.Const("IORING_REGISTER_FILES_UPDATE", IoUringUapi.IORING_REGISTER_FILES_UPDATE);
        t.Const("IORING_REGISTER_PROBE", IoUringUapi.IORING_REGISTER_PROBE);
        t.Const("IO_URING_OP_SUPPORTED", IoUringUapi.IO_URING_OP_SUPPORTED);

        // libc: fcntl.h, linux/falloc.h, sys/mman.h, sys/eventfd.h, poll.h, sys/socket.h, sys/syscall.h
        t.Const("O_RDONLY", LibC.O_RDONLY);
        t.Const("O_WRONLY", LibC.O_WRONLY);
        t.Const("O_RDWR", LibC.O_RDWR);
        t.Const("O_CREAT", LibC.O_CREAT);
        t.Const("O_NONBLOCK", LibC.O_NONBLOCK);
        t.Const("O_CLOEXEC", LibC.O_CLOEXEC);
        t.Const("O_DIRECT", LibC.O_DIRECT);
        t.Const("CPU_SETSIZE", LibC.CPU_SETSIZE);
        t.Const("VRING_PACKED_DESC_F_AVAIL", VirtioConstants.VRING_PACKED_DESC_F_AVAIL);
        t.Const("VRING_PACKED_DESC_F_USED", VirtioConstants.VRING_PACKED_DESC_F_USED);
        t.Const("VRING_PACKED_EVENT_FLAG_ENABLE", VirtioConstants.VRING_PACKED_EVENT_FLAG_ENABLE);
        t.Const("VRING_PACKED_EVENT_FLAG_DISABLE", VirtioConstants.VRING_PACKED_EVENT_FLAG_DISABLE);
        t.Const("VRING_PACKED_EVENT_FLAG_DESC", VirtioConstants.VRING_PACKED_EVENT_FLAG_DESC);
        t.Const("VRING_PACKED_EVENT_F_WRAP_CTR", VirtioConstants.VRING_PACKED_EVENT_F_WRAP_CTR);
        t.Const("PR_SET_NAME", Sys.PR_SET_NAME);
        t.Const("CLOCK_BOOTTIME", Sys.CLOCK_BOOTTIME);
        t.Const("DT_DIR", Sys.DT_DIR);
        t.Const("S_IFMT", (ushort)LibC.S_IFMT);
        t.Const("TMPFS_MAGIC", Sys.TMPFS_MAGIC);
        t.Const("RAMFS_MAGIC", Sys.RAMFS_MAGIC);
        t.Const("S_IFREG", (ushort)LibC.S_IFREG);
        t.Const("S_IFBLK", (ushort)LibC.S_IFBLK);
        t.ConstIoctl("BLKGETSIZE64", BlockIoctl.BLKGETSIZE64);
        t.ConstIoctl("BLKSSZGET", BlockIoctl.BLKSSZGET);
        t.ConstIoctl("BLKDISCARD", BlockIoctl.BLKDISCARD);
        t.Const("PROT_READ", LibC.PROT_READ);
        t.Const("PROT_WRITE", LibC.PROT_WRITE);
        t.Const("MAP_SHARED", LibC.MAP_SHARED);
        t.Const("MAP_PRIVATE", LibC.MAP_PRIVATE);
        t.Const("MAP_ANONYMOUS", LibC.MAP_ANONYMOUS);
        t.Const("MAP_NORESERVE", LibC.MAP_NORESERVE);
        t.Const("MAP_FIXED", LibC.MAP_FIXED);
        t.Const("PROT_NONE", LibC.PROT_NONE);
        t.Const("MADV_REMOVE", LibC.MADV_REMOVE);
        t.Const("MADV_NOHUGEPAGE", LibC.MADV_NOHUGEPAGE);
        t.Const("EFD_CLOEXEC", LibC.EFD_CLOEXEC);
        t.Const("EFD_NONBLOCK", LibC.EFD_NONBLOCK);
        t.Const("POLLIN", LibC.POLLIN);
        t.Const("POLLERR", LibC.POLLERR);
        t.Const("POLLHUP", LibC.POLLHUP);
        t.Const("SOCK_RAW", LibC.SOCK_RAW);
        t.Const("SOCK_CLOEXEC", LibC.SOCK_CLOEXEC);
        t.Const("SOL_SOCKET", LibC.SOL_SOCKET);
        t.Const("SO_REUSEADDR", LibC.SO_REUSEADDR);
        t.Const("SO_RCVTIMEO", LibC.SO_RCVTIMEO);
        t.Const("SYS_io_uring_setup", Sys.SYS_io_uring_setup);
        t.Const("SYS_io_uring_enter", Sys.SYS_io_uring_enter);
        t.Const("SYS_io_uring_register", Sys.SYS_io_uring_register);
        t.Const("SYS_sched_setscheduler", Sys.SYS_sched_setscheduler);
        t.Const("SCHED_IDLE", Sys.SCHED_IDLE);
        t.Const("MAP_POPULATE", LibC.MAP_POPULATE);
        t.Const("FALLOC_FL_KEEP_SIZE", LibC.FALLOC_FL_KEEP_SIZE);
        t.Const("FALLOC_FL_PUNCH_HOLE", LibC.FALLOC_FL_PUNCH_HOLE);
        t.Const("FALLOC_FL_ZERO_RANGE", Sys.FALLOC_FL_ZERO_RANGE);
        t.Const("SPLICE_F_NONBLOCK", Sys.SPLICE_F_NONBLOCK);
        t.Const("SPLICE_F_MORE", Sys.SPLICE_F_MORE);
        t.Const("F_SETPIPE_SZ", Sys.F_SETPIPE_SZ);

        // errno.h
        t.ConstErrno("EPERM", Errno.EPERM);
        t.ConstErrno("ENOENT", Errno.ENOENT);
        t.ConstErrno("EINTR", Errno.EINTR);
        t.ConstErrno("EIO", Errno.EIO);
        t.ConstErrno("ENXIO", Errno.ENXIO);
        t.ConstErrno("EBADF", Errno.EBADF);
        t.ConstErrno("EAGAIN", Errno.EAGAIN);
        t.ConstErrno("ENOMEM", Errno.ENOMEM);
        t.ConstErrno("EACCES", Errno.EACCES);
        t.ConstErrno("EFAULT", Errno.EFAULT);
        t.ConstErrno("EBUSY", Errno.EBUSY);
        t.ConstErrno("EEXIST", Errno.EEXIST);
        t.ConstErrno("ENODEV", Errno.ENODEV);
        t.ConstErrno("EINVAL", Errno.EINVAL);
        t.ConstErrno("ENFILE", Errno.ENFILE);
        t.ConstErrno("EMFILE", Errno.EMFILE);
        t.ConstErrno("ENOSPC", Errno.ENOSPC);
        t.ConstErrno("ENOTTY", Errno.ENOTTY);
        t.ConstErrno("ENOSYS", Errno.ENOSYS);
        t.ConstErrno("EOPNOTSUPP", Errno.EOPNOTSUPP);
        t.ConstErrno("EROFS", Errno.EROFS);
        t.ConstErrno("ETIMEDOUT", Errno.ETIMEDOUT);
        t.ConstErrno("EPIPE", Errno.EPIPE);
        t.ConstErrno("ETIME", Errno.ETIME);
        t.ConstErrno("ENETUNREACH", Errno.ENETUNREACH);
        t.ConstErrno("ECONNRESET", Errno.ECONNRESET);
        t.ConstErrno("ENOTCONN", Errno.ENOTCONN);
        t.ConstErrno("ESHUTDOWN", Errno.ESHUTDOWN);
        t.ConstErrno("ECONNREFUSED", Errno.ECONNREFUSED);
        t.ConstErrno("EHOSTUNREACH", Errno.EHOSTUNREACH);
        t.ConstErrno("EINPROGRESS", Errno.EINPROGRESS);
        t.ConstErrno("ECANCELED", Errno.ECANCELED);
    }
}
