"""WhatsApp outbound: what the Graph API receives, retries, timeouts (against a local fake).

The fake Graph server (conftest) records each request and answers from a script; the
client's backoff sleeps are replaced by a recorder so the tests assert the retry schedule
without waiting for it.
"""

from __future__ import annotations

import pytest
from channel_helpers import ACCESS_TOKEN, CUSTOMER_WA_ID, PHONE_NUMBER_ID

from bot.channels.whatsapp import WhatsAppInput, WhatsAppOutput, send_text
from bot.channels.whatsapp_graph import GraphClient, GraphConfig, WhatsAppSendError


def client_for(graph, sleeps: list[float], **overrides) -> GraphClient:
    config = GraphConfig(
        base_url=graph.base_url,
        phone_number_id=PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        **overrides,
    )
    return GraphClient(config, sleep=sleeps.append)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def output(fake_graph, sleeps) -> WhatsAppOutput:
    return WhatsAppOutput(client_for(fake_graph, sleeps))


async def test_text_goes_to_the_messages_endpoint_with_the_bearer_token(output, fake_graph):
    await output.send_response(
        CUSTOMER_WA_ID, {"text": "Halo Bapak/Ibu, ada yang bisa kami bantu?"}
    )
    [request] = fake_graph.requests
    assert request.path == f"/v18.0/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER_WA_ID,
        "type": "text",
        "text": {"body": "Halo Bapak/Ibu, ada yang bisa kami bantu?", "preview_url": False},
    }


async def test_up_to_three_buttons_become_interactive_reply_buttons(output, fake_graph):
    buttons = [
        {"title": "Kalibrasi alat ukur presisi", "payload": "/request_calibration"},
        {"title": "Pembiayaan", "payload": "/request_financing"},
        {"title": "Bicara dengan CS", "payload": "/request_human"},
    ]
    await output.send_response(
        CUSTOMER_WA_ID, {"text": "Ada yang bisa kami bantu?", "buttons": buttons}
    )
    [request] = fake_graph.requests
    interactive = request.body["interactive"]
    assert request.body["type"] == "interactive"
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "Ada yang bisa kami bantu?"
    replies = [b["reply"] for b in interactive["action"]["buttons"]]
    assert [r["id"] for r in replies] == [
        "/request_calibration",
        "/request_financing",
        "/request_human",
    ]
    assert all(len(r["title"]) <= 20 for r in replies)
    assert replies[0]["title"].startswith("Kalibrasi alat")


async def test_more_than_three_buttons_become_a_list(output, fake_graph):
    buttons = [
        {"title": f"Pilihan nomor {i}", "payload": f'/inform{{"choice": "{i}"}}'}
        for i in range(1, 7)
    ]
    await output.send_response(CUSTOMER_WA_ID, {"text": "Pilih salah satu:", "buttons": buttons})
    [request] = fake_graph.requests
    interactive = request.body["interactive"]
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [b["payload"] for b in buttons]
    assert len(interactive["action"]["button"]) <= 20


async def test_more_than_ten_buttons_are_split_into_lists_of_ten(output, fake_graph):
    buttons = [{"title": f"Kota {i}", "payload": f"/city_{i}"} for i in range(12)]
    await output.send_response(CUSTOMER_WA_ID, {"text": "Kota Anda?", "buttons": buttons})
    counts = [
        len(r.body["interactive"]["action"]["sections"][0]["rows"]) for r in fake_graph.requests
    ]
    assert counts == [10, 2]


async def test_text_longer_than_4096_characters_is_split(output, fake_graph):
    paragraph = "Kalibrasi dilakukan sesuai standar. " * 40  # ~1,400 characters
    text = "\n\n".join([paragraph] * 5)  # ~7,000 characters
    await output.send_response(CUSTOMER_WA_ID, {"text": text})
    bodies = [r.body["text"]["body"] for r in fake_graph.requests]
    assert len(bodies) == 2
    assert all(len(b) <= 4096 for b in bodies)
    assert "".join(bodies).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


async def test_429_is_retried_with_backoff_then_delivered(fake_graph, sleeps):
    fake_graph.script = [(429, 0.0), (429, 0.0)]
    client = client_for(fake_graph, sleeps)
    wamid = await client.send_async(
        {
            "messaging_product": "whatsapp",
            "to": CUSTOMER_WA_ID,
            "type": "text",
            "text": {"body": "x"},
        }
    )
    assert wamid.startswith("wamid.")
    assert len(fake_graph.requests) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential backoff


async def test_500_is_retried_and_gives_up_after_max_attempts(fake_graph, sleeps):
    fake_graph.script = [(500, 0.0)] * 10
    client = client_for(fake_graph, sleeps, max_attempts=3)
    with pytest.raises(WhatsAppSendError) as error:
        await client.send_async(
            {
                "messaging_product": "whatsapp",
                "to": CUSTOMER_WA_ID,
                "type": "text",
                "text": {"body": "x"},
            }
        )
    assert error.value.status == 500
    assert len(fake_graph.requests) == 3


async def test_a_400_is_not_retried(fake_graph, sleeps):
    fake_graph.script = [(400, 0.0)]
    client = client_for(fake_graph, sleeps)
    with pytest.raises(WhatsAppSendError) as error:
        await client.send_async(
            {
                "messaging_product": "whatsapp",
                "to": CUSTOMER_WA_ID,
                "type": "text",
                "text": {"body": "x"},
            }
        )
    assert error.value.code == 131047  # e.g. outside the 24-hour customer-service window
    assert len(fake_graph.requests) == 1
    assert sleeps == []


async def test_a_slow_graph_api_times_out_and_is_retried(fake_graph, sleeps):
    fake_graph.script = [(200, 2.0)]  # first answer arrives after the client's read timeout
    client = client_for(fake_graph, sleeps, read_timeout=0.3)
    wamid = await client.send_async(
        {
            "messaging_product": "whatsapp",
            "to": CUSTOMER_WA_ID,
            "type": "text",
            "text": {"body": "x"},
        }
    )
    assert wamid.startswith("wamid.")
    assert len(fake_graph.requests) == 2
    assert len(sleeps) == 1


async def test_an_unreachable_graph_api_raises_after_retries(sleeps):
    config = GraphConfig(
        base_url="http://127.0.0.1:9/v18.0",
        phone_number_id=PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        max_attempts=2,
        connect_timeout=0.5,
    )
    with pytest.raises(WhatsAppSendError):
        await GraphClient(config, sleep=sleeps.append).send_async({"to": CUSTOMER_WA_ID})
    assert len(sleeps) == 1


async def test_a_failed_bot_reply_is_logged_not_raised(fake_graph, sleeps, caplog):
    fake_graph.script = [(400, 0.0)]
    output = WhatsAppOutput(client_for(fake_graph, sleeps))
    await output.send_response(CUSTOMER_WA_ID, {"text": "halo"})
    assert "not sent" in caplog.text
    assert CUSTOMER_WA_ID not in caplog.text  # the customer's number is masked


async def test_send_text_for_the_agent_desk_uses_the_environment(whatsapp_env):
    ids = await send_text(CUSTOMER_WA_ID, "Halo, saya Rina dari tim CS. Ada yang bisa saya bantu?")
    assert len(ids) == 1 and ids[0].startswith("wamid.")
    [request] = whatsapp_env.requests
    assert request.body["text"]["body"].startswith("Halo, saya Rina")


async def test_send_text_reports_graph_refusals_to_the_caller(whatsapp_env):
    whatsapp_env.script = [(400, 0.0)]
    with pytest.raises(WhatsAppSendError):
        await send_text(CUSTOMER_WA_ID, "Halo")


async def test_output_channel_from_the_input_channel_uses_the_configured_graph_url(whatsapp_env):
    output = WhatsAppInput.from_credentials({}).get_output_channel()
    await output.send_response(CUSTOMER_WA_ID, {"text": "tes"})
    assert len(whatsapp_env.requests) == 1


async def test_desk_delivery_sends_buttons_and_raises_refusals(whatsapp_env):
    channel = WhatsAppInput.from_credentials({})
    buttons = [{"title": "Ya", "payload": "/affirm"}, {"title": "Tidak", "payload": "/deny"}]
    await channel.deliver(CUSTOMER_WA_ID, {"text": "Apakah sudah terbantu?", "buttons": buttons})
    assert whatsapp_env.requests[0].body["interactive"]["type"] == "button"
    whatsapp_env.script = [(400, 0.0)]  # e.g. the 24-hour window has closed
    with pytest.raises(WhatsAppSendError):
        await channel.deliver(CUSTOMER_WA_ID, {"text": "Halo lagi"})
