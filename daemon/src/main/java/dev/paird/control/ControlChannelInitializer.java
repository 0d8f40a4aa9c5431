package dev.paird.control;

import dev.paird.api.ControlProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Builds the pipeline of one control connection. */
public final class ControlChannelInitializer extends ChannelInitializer<Channel> {
  private final ControlService service;
  private final ConnectionLimiter limiter;
  private final Duration idleTimeout;
  private final Function<Channel, Caller> credentials;

  public ControlChannelInitializer(
      ControlService service,
      int maxConnections,
      Duration idleTimeout,
      Function<Channel, Caller> credentials) {
    this.service = service;
    this.limiter = new ConnectionLimiter(maxConnections);
    this.idleTimeout = idleTimeout;
    this.credentials = credentials;
  }

  @Override
  protected void initChannel(Channel channel) {
    ChannelPipeline pipeline = channel.pipeline();
    // First, so a connection over the limit costs nothing more than a refusal.
    pipeline.addLast("limit", limiter);
    // Closes connections that send nothing; the handler spares one with a request in flight.
    pipeline.addLast("idle", new IdleStateHandler(idleTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
    // One request per line, bounded: a longer line is refused and skipped, not buffered.
    pipeline.addLast("lines", new LineBasedFrameDecoder(ControlProtocol.MAX_REQUEST_BYTES, true, true));
    pipeline.addLast("handler", new ControlHandler(service, credentials));
  }
}
