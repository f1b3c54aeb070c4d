"""The webhook benchmark: bare FastAPI, a wechatpy echo and Linli's /wechat under wrk."""
