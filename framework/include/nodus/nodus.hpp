#pragma once
/** @file  Everything an application needs. */
#include <nodus/admin/health.hpp>
#include <nodus/app.hpp>
#include <nodus/process/child_process.hpp>
#include <nodus/cluster/cluster.hpp>
#include <nodus/config/config.hpp>
#include <nodus/http/error.hpp>
#include <nodus/http/handler.hpp>
#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>
#include <nodus/http/server.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>
#include <nodus/metrics/metrics.hpp>
#include <nodus/router/router.hpp>
