/* cmd_mock.c -- `qvrrun mock [flags]`: the flags (qvr_mock_parse_args),
 * then qvr_mock_serve (core/mock/mock.c) in the foreground. */
#include <stdio.h>

#include "args.h"
#include "cmd.h"
#include "mock.h"
#include "qvr.h"

static void usage(FILE *f)
{
    fputs("usage: qvrrun mock [flags]\n"
          "  --listen ADDR[:PORT]   bind address (default 127.0.0.1:7860; "
          ":0 = any free port)\n"
          "  --profile NAME         h100-qwen3vl-8b (default), "
          "h100-qwen3vl-8b-batch, fast\n"
          "  --slots N              concurrent passes (default 1)\n"
          "  --batch N              requests merged into one pass "
          "(default 1)\n"
          "  --queue N              waiting requests before 503 "
          "(default 64)\n"
          "  --max-docs N           documents per request before 413 "
          "(default 32)\n"
          "  --seed N               seed of jitter and faults (default 1)\n"
          "  --service DUR          fixed pass time instead of the model, "
          "e.g. 100ms\n"
          "  --error-rate P         answer 500 to a fraction P (0.05 or "
          "5%)\n"
          "  --stall DUR/PERIOD     hold all answers DUR once every PERIOD\n"
          "  --leak P/min           pass time grows by P per minute up\n"
          "  --drop P               reset the connection without an answer\n"
          "  --garbage P            answer 200 with a malformed body\n"
          "LLM routes (continuous-batching model of an 8B model on one "
          "H100):\n"
          "  --max-seqs N           sequences in the batch (default 1024)\n"
          "  --kv-tokens N          KV cache capacity in tokens "
          "(default 400000)\n"
          "  --answer-tokens N      mean answer without max_tokens "
          "(default 256)\n"
          "  --ttft DUR, --itl DUR  fixed first-token time and token gap "
          "instead of the model\n"
          "  --model NAME           the model /v1/models lists\n"
          "  --stream-cut P, --stream-error P, --stream-malformed P,\n"
          "  --stream-hang P, --stream-endless P, --stream-huge P\n"
          "                         stream faults (docs/mock.md)\n"
          "Endpoints: POST /api/rerank, /v1/rerank, /rerank, "
          "/v1/chat/completions,\n"
          "/v1/completions, /v1/embeddings, /api/chat; GET /health, "
          "/metrics, /v1/models.\n",
          f);
}

int qvr_cmd_mock(int argc, char **argv)
{
    struct qvr_mock_config c;
    char err[256];
    for (int i = 0; i < argc; i++)
        if (qvr_args_is_help(argv[i])) {
            usage(stdout);
            return QVR_EXIT_OK;
        }
    qvr_mock_config_init(&c);
    if (qvr_mock_parse_args(&c, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "qvrrun mock: %s\n", err);
        return QVR_EXIT_USAGE;
    }
    return qvr_mock_serve(&c);
}
