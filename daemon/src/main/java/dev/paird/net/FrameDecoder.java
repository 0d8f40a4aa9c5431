package dev.paird.net;

import dev.paird.protocol.Frame;
import dev.paird.protocol.Frames;
import dev.paird.protocol.MalformedFrameException;
import dev.paird.protocol.PairingProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;
import java.util.Optional;

/**
 * Bytes to {@link Frame}s, through the sans-IO {@link Frames#decode}. The header is checked as soon
 * as it arrives, so a peer can make this buffer hold at most one frame's worth of bytes ({@value
 * PairingProtocol#MAX_BODY_BYTES} plus the header) before it is refused. Failures are raised as
 * {@link MalformedFrame}, which the session handlers answer with ERROR MALFORMED. After a malformed
 * frame every later byte is discarded: there is no frame boundary left to trust.
 */
final class FrameDecoder extends ByteToMessageDecoder {

  /** The peer sent bytes that are not a frame. */
  static final class MalformedFrame extends DecoderException {
    private static final long serialVersionUID = 1L;

    MalformedFrame(MalformedFrameException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private boolean failed;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    int available =
        Math.min(in.readableBytes(), PairingProtocol.HEADER_BYTES + PairingProtocol.MAX_BODY_BYTES);
    java.nio.ByteBuffer view = in.nioBuffer(in.readerIndex(), available);
    try {
      Optional<Frame> frame = Frames.decode(view);
      if (frame.isPresent()) {
        in.skipBytes(view.position());
        out.add(frame.get());
      }
    } catch (MalformedFrameException e) {
      failed = true;
      in.skipBytes(in.readableBytes());
      throw new MalformedFrame(e);
    }
  }
}
