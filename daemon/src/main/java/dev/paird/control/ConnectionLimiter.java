package dev.paird.control;

import dev.paird.api.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.HashMap;
import java.util.Map;

/**
 * Bounds the number of open control connections, in all and per caller uid. One over either limit
 * is told {@code busy} and closed before anything is read from it, so a runaway script cannot
 * exhaust the daemon's file descriptors, and one user cannot take every connection from the others:
 * each uid may hold a quarter of them (at least one). Root is held only to the total: it can stop
 * the daemon anyway, and its scripts are the ones that run many calls.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  /** Set on connections this limiter counted, so that only those are uncounted. */
  private static final AttributeKey<Integer> COUNTED =
      AttributeKey.valueOf(ConnectionLimiter.class, "counted-uid");

  private final int max;
  private final int maxPerUid;
  private final Map<Integer, Integer> perUid = new HashMap<>();
  private int open;

  ConnectionLimiter(int max) {
    this.max = max;
    this.maxPerUid = perUidLimit(max);
  }

  /** A quarter of {@code max}, at least one. */
  static int perUidLimit(int max) {
    return Math.max(1, max / 4);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    Caller caller = ctx.channel().attr(Caller.ATTRIBUTE).get();
    int uid = caller == null ? Caller.UNKNOWN.uid() : caller.uid();
    ctx.channel().attr(COUNTED).set(uid);
    String refusal = count(uid);
    if (refusal != null) {
      ctx.channel().config().setAutoRead(false);
      byte[] busy = ControlCodec.encode(ControlCodec.error(null, ErrorCode.BUSY, refusal));
      ctx.writeAndFlush(Unpooled.wrappedBuffer(busy)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    super.channelActive(ctx);
  }

  /** Counts a connection of {@code uid}; null if it is within both limits, else why not. */
  private synchronized String count(int uid) {
    int ofUid = perUid.merge(uid, 1, Integer::sum);
    open++;
    if (open > max) {
      return "too many control connections (" + max + ", control_max_connections); try again";
    }
    if (ofUid > maxPerUid && uid != 0) {
      return "too many control connections from uid "
          + uid
          + " ("
          + maxPerUid
          + ", a quarter"
          + " of control_max_connections); try again";
    }
    return null;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    Integer uid = ctx.channel().attr(COUNTED).getAndSet(null);
    if (uid != null) {
      uncount(uid);
    }
    super.channelInactive(ctx);
  }

  private synchronized void uncount(int uid) {
    open--;
    perUid.computeIfPresent(uid, (key, count) -> count > 1 ? count - 1 : null);
  }

  synchronized int open() {
    return open;
  }
}
