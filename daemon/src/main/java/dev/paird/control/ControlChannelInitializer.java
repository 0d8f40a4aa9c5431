package dev.paird.control;

import dev.paird.api.ControlProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

/** Builds the pipeline of one control connection. */
public final class ControlChannelInitializer extends ChannelInitializer<Channel> {
  private final ControlService service;
  private final PeerCheck peerCheck;
  private final ConnectionLimiter limiter;
  private final Duration requestTimeout;
  private final UnreadAnswers unread = new UnreadAnswers();

  /**
   * @param requestTimeout how long a connection has to complete each request line, from its accept
   *     or from the previous answer
   * @param credentials who is on the other end of a channel
   * @param access who may connect; asked once per connection
   */
  ControlChannelInitializer(
      ControlService service,
      int maxConnections,
      Duration requestTimeout,
      Function<Channel, Caller> credentials,
      Supplier<ControlAccess> access) {
    this.service = service;
    this.peerCheck = new PeerCheck(credentials, access);
    this.limiter = new ConnectionLimiter(maxConnections);
    this.requestTimeout = requestTimeout;
  }

  @Override
  protected void initChannel(Channel channel) {
    ChannelPipeline pipeline = channel.pipeline();
    // First: a caller who may not use the socket is refused before it counts against a limit.
    pipeline.addLast("peer", peerCheck);
    // Next, so a connection over a limit costs nothing more than a refusal.
    pipeline.addLast("limit", limiter);
    // One request per line, bounded: a longer line is refused and skipped, not buffered. Bytes
    // of an unfinished line stay here; the handler's request deadline does not see them. Each
    // read, and each line once parsed, is zeroed: a pair request holds a key.
    pipeline.addLast("lines", new WipingLineDecoder(ControlProtocol.MAX_REQUEST_BYTES));
    pipeline.addLast("handler", new ControlHandler(service, requestTimeout, unread));
  }
}
