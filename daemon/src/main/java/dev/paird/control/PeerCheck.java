package dev.paird.control;

import dev.paird.api.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads who connected (SO_PEERCRED) and turns away whoever {@link ControlAccess} refuses, with a
 * {@code permission_denied} answer and an audit line, before the connection counts against any
 * limit or a byte of it is read. Later handlers find the caller in {@link Caller#ATTRIBUTE}.
 */
@ChannelHandler.Sharable
final class PeerCheck extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(PeerCheck.class);
  private static final Logger audit = LoggerFactory.getLogger("paird.audit");

  private final Function<Channel, Caller> credentials;
  private final Supplier<ControlAccess> access;

  /** {@code access}: asked per connection, since it is known only once the socket exists. */
  PeerCheck(Function<Channel, Caller> credentials, Supplier<ControlAccess> access) {
    this.credentials = credentials;
    this.access = access;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    Caller caller = credentials.apply(ctx.channel());
    ctx.channel().attr(Caller.ATTRIBUTE).set(caller);
    Optional<String> refusal;
    try {
      refusal = access.get().refusal(caller);
    } catch (RuntimeException e) {
      // Fail closed: a check that cannot be made lets nobody in.
      log.warn("cannot check the credentials of a control connection from uid {}", caller.uid(), e);
      refusal =
          Optional.of("paird could not check this connection's credentials; its log says" + " why");
    }
    if (refusal.isPresent()) {
      audit.info(
          "uid={} pid={} connection refused: not root, paird's user or a member of the"
              + " socket's group",
          caller.uid(),
          caller.pid());
      ctx.channel().config().setAutoRead(false);
      byte[] denied =
          ControlCodec.encode(ControlCodec.error(null, ErrorCode.PERMISSION_DENIED, refusal.get()));
      ctx.writeAndFlush(Unpooled.wrappedBuffer(denied)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    super.channelActive(ctx);
  }
}
