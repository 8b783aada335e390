package dev.taskbound.core.policy;

import java.util.List;

/**
 * One layer's {@code gate.hooks}, {@code gate.prompts} and {@code gate.tools}, each null when the layer does not set it.
 */
record HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts,
    Located<List<Located<ToolRule>>> tools) {
  static final HookLayer EMPTY = new HookLayer(null, null, null);
}
