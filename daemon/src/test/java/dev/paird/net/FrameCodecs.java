package dev.paird.net;

import io.netty.channel.ChannelHandler;

/**
 * The pairing port's frame decoder and encoder, for test peers outside this package that speak the
 * protocol frame by frame instead of through a session.
 */
public final class FrameCodecs {
  private FrameCodecs() {}

  /** A new decoder: decoders hold the bytes of a partial frame, so one per channel. */
  public static ChannelHandler decoder() {
    return new FrameDecoder();
  }

  /** The encoder; it is stateless and shared. */
  public static ChannelHandler encoder() {
    return FrameEncoder.INSTANCE;
  }
}
