// Dispatches an io_op to the SQE preparation of its op code.
#pragma once

#include <liburing.h>

#include "accept_multishot_op.hpp"
#include "accept_op.hpp"
#include "connect_op.hpp"
#include "poll_op.hpp"
#include "read_op.hpp"
#include "recv_multishot_op.hpp"
#include "recv_op.hpp"
#include "recvmsg_op.hpp"
#include "send_op.hpp"
#include "sendmsg_op.hpp"
#include "write_op.hpp"
#include <coreloop/detail/io_op.hpp>

namespace coreloop::detail::uring {

/// Fills sqe for op (all fields but user_data).
inline void prepare(io_uring_sqe* sqe, const io_op& op) noexcept {
    switch (op.code) {
    case op_code::poll:
        prepare_poll(sqe, op);
        return;
    case op_code::recv:
        prepare_recv(sqe, op);
        return;
    case op_code::send:
        prepare_send(sqe, op);
        return;
    case op_code::sendmsg:
        prepare_sendmsg(sqe, op);
        return;
    case op_code::accept:
        prepare_accept(sqe, op);
        return;
    case op_code::connect:
        prepare_connect(sqe, op);
        return;
    case op_code::read:
        prepare_read(sqe, op);
        return;
    case op_code::write:
        prepare_write(sqe, op);
        return;
    case op_code::accept_multishot:
        prepare_accept_multishot(sqe, op);
        return;
    case op_code::recv_multishot:
        prepare_recv_multishot(sqe, op);
        return;
    case op_code::recvmsg:
        prepare_recvmsg(sqe, op);
        return;
    }
    // An op_code outside the enum is a bug; a NOP completes it with 0 rather than hanging it.
    io_uring_prep_nop(sqe);
}

} // namespace coreloop::detail::uring
