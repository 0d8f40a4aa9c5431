package dev.paird.control;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits a control connection's bytes into lines, as Netty's {@code LineBasedFrameDecoder} with
 * {@code stripDelimiter} and {@code failFast} does, but leaves no copy of a line's bytes behind: a
 * {@code pair} request's line holds its key.
 *
 * <p>Netty's decoder gathers a line that arrives in several reads into a buffer of its own, which
 * it grows by copying and moves its bytes within; and it skips a line that is too long without
 * touching its bytes. Every buffer it lets go of goes back to the pool as it is. This decoder
 * instead zeroes each read's bytes as soon as it has taken them, keeps an unfinished line in one
 * buffer of the maximum length allocated once and zeroed when the line is complete or abandoned,
 * and hands on each line in a buffer of its own, which {@link ControlHandler} zeroes once it has
 * parsed it. Nothing here grows: the buffer of an unfinished line is allocated at its bound.
 *
 * <p>A line is ended by {@code \n} or {@code \r\n}, neither handed on. A line longer than {@code
 * maxLength} bytes is reported, as soon as that many bytes have come without its end, by a {@link
 * TooLongFrameException} through the pipeline, and its bytes up to the next {@code \n} are dropped
 * (and zeroed) as they arrive.
 */
final class WipingLineDecoder extends ChannelInboundHandlerAdapter {
  private final int maxLength;

  /** The start of a line whose end has not come yet; null when there is none. */
  private ByteBuf unfinished;

  /** Whether the bytes up to the next {@code \n} belong to a line too long, and are dropped. */
  private boolean discarding;

  WipingLineDecoder(int maxLength) {
    if (maxLength <= 0) {
      throw new IllegalArgumentException("maxLength must be positive: " + maxLength);
    }
    this.maxLength = maxLength;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    int start = in.readerIndex();
    int end = in.writerIndex();
    try {
      int at = start;
      while (at < end) {
        int newline = in.indexOf(at, end, (byte) '\n');
        int stop = newline < 0 ? end : newline;
        if (discarding) {
          discarding = newline < 0;
        } else if (newline < 0) {
          keep(ctx, in, at, stop - at);
        } else {
          complete(ctx, in, at, stop - at);
        }
        at = newline < 0 ? end : newline + 1;
      }
    } finally {
      in.setZero(start, end - start);
      in.release();
    }
  }

  /** Adds {@code length} bytes of {@code in} from {@code at} to the unfinished line. */
  private void keep(ChannelHandlerContext ctx, ByteBuf in, int at, int length) {
    int had = unfinished == null ? 0 : unfinished.readableBytes();
    if ((long) had + length > maxLength) {
      // As Netty's decoder with failFast: the bytes so far, a trailing \r included, are too many.
      dropUnfinished();
      discarding = true;
      ctx.fireExceptionCaught(tooLong("over " + ((long) had + length)));
      return;
    }
    if (length == 0) {
      return;
    }
    if (unfinished == null) {
      // Allocated at its bound: a buffer that grew would leave its earlier copy to the pool.
      unfinished = ctx.alloc().directBuffer(maxLength, maxLength);
    }
    unfinished.writeBytes(in, at, length);
  }

  /** Ends the unfinished line with {@code length} bytes of {@code in} from {@code at}. */
  private void complete(ChannelHandlerContext ctx, ByteBuf in, int at, int length) {
    int had = unfinished == null ? 0 : unfinished.readableBytes();
    boolean carriageReturn =
        length > 0 ? in.getByte(at + length - 1) == '\r' : had > 0 && endsWithCarriageReturn();
    long lineLength = (long) had + length - (carriageReturn ? 1 : 0);
    if (lineLength > maxLength) {
      dropUnfinished();
      ctx.fireExceptionCaught(tooLong(Long.toString(lineLength)));
      return;
    }
    ByteBuf line = ctx.alloc().buffer((int) lineLength, (int) lineLength);
    try {
      int fromUnfinished = (int) Math.min(had, lineLength);
      if (fromUnfinished > 0) {
        line.writeBytes(unfinished, unfinished.readerIndex(), fromUnfinished);
      }
      int fromIn = (int) lineLength - fromUnfinished;
      if (fromIn > 0) {
        line.writeBytes(in, at, fromIn);
      }
    } catch (RuntimeException e) {
      line.setZero(0, line.capacity());
      line.release();
      throw e;
    } finally {
      dropUnfinished();
    }
    // The handler zeroes the line once parsed, and releases it.
    ctx.fireChannelRead(line);
  }

  private boolean endsWithCarriageReturn() {
    return unfinished.getByte(unfinished.writerIndex() - 1) == '\r';
  }

  /** Zeroes and lets go of the unfinished line. */
  private void dropUnfinished() {
    if (unfinished != null) {
      unfinished.setZero(0, unfinished.capacity());
      unfinished.release();
      unfinished = null;
    }
  }

  private TooLongFrameException tooLong(String length) {
    return new TooLongFrameException(
        "frame length (" + length + ") exceeds the allowed maximum (" + maxLength + ")");
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    dropUnfinished();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    dropUnfinished();
  }
}
