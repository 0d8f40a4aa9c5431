package dev.paird.control;

import dev.paird.api.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the number of open control connections. One over the limit is told {@code busy} and
 * closed, so a runaway script cannot exhaust the daemon's file descriptors.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  ConnectionLimiter(int max) {
    this.max = max;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (open.incrementAndGet() > max) {
      ctx.channel().config().setAutoRead(false);
      byte[] busy = ControlCodec.encode(ControlCodec.error(null, ErrorCode.BUSY,
          "too many control connections (" + max + ", control_max_connections); try again"));
      ctx.writeAndFlush(Unpooled.wrappedBuffer(busy)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    open.decrementAndGet();
    super.channelInactive(ctx);
  }

  int open() {
    return open.get();
  }
}
